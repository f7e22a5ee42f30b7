"""Forms of the results pages: editing a follow-up, filtering the follow-up list, proposing a revision."""

from django import forms

from core.dates import BoundedDatesMixin
from customers.models import FollowUp
from org.models import Department, User


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.display_name} · {obj.job_title}" if obj.job_title else obj.display_name


class FollowUpForm(BoundedDatesMixin, forms.ModelForm):
    class Meta:
        model = FollowUp
        fields = ["owner", "due_date", "status", "resolution"]
        widgets = {
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "resolution": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"resolution": "Resolution note"}
        help_texts = {"resolution": "What was done, and what the customer heard back. Needed to close it."}
        field_classes = {"owner": OwnerChoiceField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        department = self.instance.department
        people = User.objects.filter(is_active=True, department__in=Department.objects.subtree_of(department))
        self.fields["owner"].queryset = people.order_by("first_name", "last_name")


class FollowUpFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("open", "Open"), ("closed", "Closed"), ("all", "All")])
    mine = forms.BooleanField(required=False, label="Only mine")
    campaign = forms.IntegerField(required=False, widget=forms.HiddenInput)
