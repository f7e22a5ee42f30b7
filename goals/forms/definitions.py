"""Forms for writing, publishing and filtering quality definitions; the services hold the rules, these say how to
fix what a person typed."""

from django import forms
from django.forms import formset_factory

from core.forms import ModelMultipleChoiceField
from goals.models import QualityDefinition
from goals.services.definitions import MAX_CRITERIA, CriterionRow
from org import access
from org.models import Department

_field = QualityDefinition._meta.get_field


class DepartmentLabels:
    """Departments indented by their depth, so the tree reads in a plain select."""

    def label_from_instance(self, obj):
        return "\u2003" * obj.depth + obj.name


class DepartmentChoiceField(DepartmentLabels, forms.ModelChoiceField):
    pass


class DepartmentsChoiceField(DepartmentLabels, ModelMultipleChoiceField):
    pass


class DefinitionForm(forms.Form):
    """What the definition is about and whom it serves, and the draft's promise."""

    department = DepartmentChoiceField(queryset=Department.objects.none(), help_text=_field("department").help_text)
    title = forms.CharField(
        label="Product or service",
        max_length=160,
        help_text="e.g. “Support tickets”, “Order delivery”, “Service desk”.",
    )
    external_customers = forms.CharField(
        max_length=255, required=False, help_text=_field("external_customers").help_text
    )
    served_departments = DepartmentsChoiceField(
        queryset=Department.objects.none(),
        required=False,
        label="Internal customers",
        help_text="Departments this product or service is for, if any.",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    ask_served_departments = forms.BooleanField(
        required=False,
        label=_field("ask_served_departments").verbose_name.capitalize(),
        help_text=_field("ask_served_departments").help_text,
    )
    promise = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the customer can count on, in plain words. Required before publishing.",
    )

    def __init__(self, *args, user, definition: QualityDefinition | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["served_departments"].queryset = Department.objects.order_by("path")
        if definition is None:
            self.fields["department"].queryset = access.managed_departments(user).order_by("path")
            self.fields["department"].help_text = (
                "A department you manage (choose the organization itself for an organization-wide definition)."
                if access.is_admin(user)
                else "A department you manage."
            )
        else:
            del self.fields["department"]  # a definition stays with the department that owns its history

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("ask_served_departments") and not cleaned.get("served_departments"):
            self.add_error(
                "served_departments",
                "Choose the departments to ask, or untick “ask served departments to acknowledge”.",
            )
        return cleaned


class CriterionForm(forms.Form):
    text = forms.CharField(
        label="Description",
        max_length=300,
        required=False,
        help_text="Measurable, e.g. “First reply within 4 business hours, 95% of tickets”.",
    )
    metric = forms.ModelChoiceField(label="Metric (optional)", queryset=None, required=False, empty_label="No metric")
    threshold = forms.FloatField(required=False, help_text="The metric value that meets it.")

    def __init__(self, *args, metrics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].queryset = metrics

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("threshold") is not None and cleaned.get("metric") is None:
            self.add_error(
                "threshold",
                "A threshold needs a metric: choose the metric it applies to, or leave the threshold empty.",
            )
        if not cleaned.get("text") and (cleaned.get("metric") is not None or cleaned.get("threshold") is not None):
            self.add_error("text", "Describe the criterion in words.")
        return cleaned

    def row(self) -> CriterionRow | None:
        data = self.cleaned_data
        if not data or data.get("DELETE") or not data.get("text"):
            return None
        return CriterionRow(text=data["text"], metric=data.get("metric"), threshold=data.get("threshold"))


class BaseCriterionFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove this criterion"

    def rows(self) -> list[CriterionRow]:
        return [row for row in (form.row() for form in self.forms) if row is not None]


CriterionFormSet = formset_factory(
    CriterionForm,
    formset=BaseCriterionFormSet,
    extra=2,
    can_delete=True,
    max_num=MAX_CRITERIA,
    validate_max=True,
    absolute_max=MAX_CRITERIA,
)


class PublishForm(forms.Form):
    MAJOR, MINOR = "major", "minor"

    kind = forms.ChoiceField(
        label="What kind of change is this?",
        widget=forms.RadioSelect,
        choices=[
            (
                MAJOR,
                "Major: the promise or a criterion changed in substance. Everyone concerned is asked to "
                "acknowledge it again.",
            ),
            (MINOR, "Minor: wording and clarifications only. Nobody is asked again."),
        ],
    )
    change_summary = forms.CharField(max_length=300, help_text="One sentence on what changed and why, for the history.")

    def __init__(self, *args, first: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if first:  # the first version is always major: everyone concerned reads it
            del self.fields["kind"]
            self.fields["change_summary"].required = False
            self.fields["change_summary"].initial = "First version."

    @property
    def major(self) -> bool:
        return self.cleaned_data.get("kind", self.MAJOR) == self.MAJOR


class ListFilterForm(forms.Form):
    SCOPES = [("all", "All I can see"), ("mine", "Mine"), ("department", "My department")]

    scope = forms.ChoiceField(choices=SCOPES, required=False)
    retired = forms.BooleanField(required=False, label="Show retired")

    def value(self, name, default):
        return (self.cleaned_data.get(name) if self.is_valid() else None) or default
