"""Forms of the customer list: a customer, the CSV upload, the internal customers of a department."""

from django import forms
from django.template.defaultfilters import filesizeformat

from core.forms import ModelMultipleChoiceField
from customers.services import imports
from org import access
from org.models import Department


class CustomerForm(forms.Form):
    department = forms.ModelChoiceField(queryset=Department.objects.none(), help_text="Whose customer this is.")
    name = forms.CharField(max_length=200)
    email = forms.EmailField(
        label="E-mail", error_messages={"invalid": "Enter an e-mail address, e.g. jo@example.com."}
    )
    segment = forms.CharField(max_length=60, required=False, help_text="e.g. retail, wholesale, public sector.")
    products = forms.CharField(max_length=300, required=False, label="Products or services they use")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = access.managed_departments(user).order_by("path")


class UploadCustomersForm(forms.Form):
    department = forms.ModelChoiceField(queryset=Department.objects.none(), help_text="The list the customers join.")
    file = forms.FileField(
        label="CSV file",
        help_text=f"UTF-8 CSV, up to {filesizeformat(imports.MAX_BYTES)}. "
        "Nothing is saved until you confirm on the next page.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = access.managed_departments(user).order_by("path")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_BYTES:
            raise forms.ValidationError(
                f"This file is {filesizeformat(upload.size)}; the limit is "
                f"{filesizeformat(imports.MAX_BYTES)}. Split it into smaller files."
            )
        return upload


class InternalCustomersForm(forms.Form):
    departments = ModelMultipleChoiceField(
        queryset=Department.objects.all().order_by("path"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Departments served",
        help_text="Their people answer this department's internal reality checks.",
    )
