"""Forms of reality-check campaigns: creating one from a definition, its questions, the draw."""

from django import forms

from core import periods
from core.dates import BoundedDatesMixin
from customers.models import Customer
from customers.services.campaigns import MAX_EXCLUDE_DAYS, MAX_SAMPLE_SIZE
from goals.models import QualityDefinition
from goals.selectors.visibility import visible_definitions
from org import access
from org.models import Department


class CampaignForm(BoundedDatesMixin, forms.Form):
    definition = forms.ModelChoiceField(
        queryset=QualityDefinition.objects.none(),
        label="Quality definition",
        help_text="Each acceptance criterion of its published version becomes a question.",
    )
    department = forms.ModelChoiceField(queryset=Department.objects.none(), help_text="Whose customers are asked.")
    title = forms.CharField(
        max_length=200,
        required=False,
        label="Internal title",
        help_text="Seen only by colleagues. Empty: “Reality check: <definition>”.",
    )
    customer_title = forms.CharField(
        max_length=200,
        required=False,
        label="Title customers see",
        help_text="The e-mail's subject and the answer page's heading. Empty: “<department>: how did we do?”.",
    )
    audience = forms.ChoiceField(choices=Customer.Kind.choices, initial=Customer.Kind.EXTERNAL)
    sample_size = forms.IntegerField(
        min_value=1, max_value=MAX_SAMPLE_SIZE, required=False, help_text="How many to ask…"
    )
    sample_percent = forms.FloatField(
        min_value=0.1,
        max_value=100,
        required=False,
        label="or a percentage",
        help_text="…or this share of the eligible ones.",
    )
    stratify_by_segment = forms.BooleanField(
        required=False, label="Stratify by segment", help_text="Each segment in proportion to its size."
    )
    exclude_days = forms.IntegerField(
        min_value=0, max_value=MAX_EXCLUDE_DAYS, initial=90, label="Skip those asked in the last (days)"
    )
    ends_on = forms.DateField(label="Ends on", widget=forms.DateInput(attrs={"type": "date"}))
    include_nps = forms.BooleanField(required=False, label="Add the NPS question (0–10)")
    include_csat = forms.BooleanField(required=False, label="Add the CSAT question (1–5)")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["definition"].queryset = (
            visible_definitions(user).filter(retired_at__isnull=True).select_related("department").order_by("title")
        )
        self.fields["department"].queryset = access.managed_departments(user).order_by("path")

    def clean(self):
        data = super().clean()
        if data.get("sample_size") is None and data.get("sample_percent") is None:
            self.add_error("sample_size", "Give a sample size or a percentage.")
        elif data.get("sample_size") is not None and data.get("sample_percent") is not None:
            self.add_error("sample_percent", "Give a sample size or a percentage, not both.")
        if data.get("ends_on") and data["ends_on"] < periods.today():
            self.add_error("ends_on", "The end date is in the past; choose today or a later day.")
        return data


class QuestionForm(forms.Form):
    promise = forms.CharField(
        max_length=300,
        required=False,
        label="What we promised",
        help_text="Shown in the promise's own words. Empty: the question is removed.",
    )
    prompt = forms.CharField(max_length=300, required=False, label="Question")
    criterion_id = forms.IntegerField(required=False, widget=forms.HiddenInput)


QuestionFormSet = forms.formset_factory(QuestionForm, extra=1, max_num=30, absolute_max=30)


class ExtrasForm(forms.Form):
    include_nps = forms.BooleanField(required=False, label="Add the NPS question (0–10)")
    include_csat = forms.BooleanField(required=False, label="Add the CSAT question (1–5)")


class DrawForm(forms.Form):
    seed = forms.IntegerField(
        min_value=0,
        max_value=2**31 - 1,
        required=False,
        help_text="Empty: a random seed, stored and shown. The same seed repeats a draw.",
    )
