"""Forms for defining metrics and targets, and for recording a reading by hand."""

from datetime import datetime

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils import timezone

from core import periods
from core.dates import BoundedDatesMixin
from metrics.models import Metric, Target
from metrics.services.readings import DENOMINATOR_SMALLEST, RATIO_SCALE_LIMIT, VALUE_LIMIT
from org import access
from org.models import User


def _bound(field: forms.Field, low: float, high: float) -> None:
    """Refuse numbers outside low..high, with the browser's number input told the same."""
    field.validators += [MinValueValidator(low), MaxValueValidator(high)]
    field.widget.attrs.update(min=f"{low:g}", max=f"{high:g}")


class MetricForm(forms.ModelForm):
    class Meta:
        model = Metric
        fields = [
            "department",
            "name",
            "code",
            "description",
            "unit",
            "direction",
            "aggregation",
            "ratio_scale",
            "denominator_label",
            "frequency",
            "owner_kind",
            "min_value",
            "max_value",
            "decimals",
            "weight",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = access.managed_departments(user).order_by("path")
        self.fields["department"].help_text = "Departments you manage."
        # Within what a reading may be (metrics.services.readings), so that every aggregate stays a number.
        for name in ("min_value", "max_value"):
            _bound(self.fields[name], -VALUE_LIMIT, VALUE_LIMIT)
        _bound(self.fields["ratio_scale"], DENOMINATOR_SMALLEST, RATIO_SCALE_LIMIT)
        _bound(self.fields["weight"], 0, 1_000)
        _bound(self.fields["decimals"], 0, 6)

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_value"), cleaned.get("max_value")
        if low is not None and high is not None and low > high:
            self.add_error("max_value", f"The highest valid value must be at least the lowest ({low:g}).")
        if cleaned.get("aggregation") == Metric.Aggregation.RATIO and not cleaned.get("denominator_label"):
            self.add_error("denominator_label", "Name what the ratio divides by, e.g. 'units shipped'.")
        if self.instance.pk and self.instance.readings.exists():
            for name in ("aggregation", "owner_kind"):
                if name in self.changed_data:
                    self.add_error(
                        name,
                        "This metric has readings; changing this would rewrite their meaning. "
                        "Archive it and create a new metric instead.",
                    )
        return cleaned


class TargetForm(BoundedDatesMixin, forms.ModelForm):
    class Meta:
        model = Target
        fields = ["valid_from", "target", "warning"]
        widgets = {"valid_from": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("target", "warning"):
            _bound(self.fields[name], -VALUE_LIMIT, VALUE_LIMIT)


class BaseTargetFormSet(BaseInlineFormSet):
    def __init__(self, *args, direction: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.direction = direction

    def clean(self):
        super().clean()
        starts = set()
        higher = self.direction != Metric.Direction.LOWER
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            start = form.cleaned_data.get("valid_from")
            if start in starts:
                form.add_error("valid_from", "Two targets start on the same day; give each its own start date.")
            starts.add(start)
            target, warning = form.cleaned_data.get("target"), form.cleaned_data.get("warning")
            if target is None or warning is None:
                continue
            if higher and warning > target:
                form.add_error(
                    "warning", f"Higher is better, so the warning level must be below the target ({target:g})."
                )
            if not higher and warning < target:
                form.add_error(
                    "warning", f"Lower is better, so the warning level must be above the target ({target:g})."
                )


TargetFormSet = inlineformset_factory(
    Metric, Target, form=TargetForm, formset=BaseTargetFormSet, extra=1, can_delete=True, max_num=50, absolute_max=50
)


class ReadingForm(BoundedDatesMixin, forms.Form):
    metric = forms.ModelChoiceField(queryset=Metric.objects.none())
    person = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, help_text="Whose reading this is (per-person metrics)."
    )
    measured_at = forms.DateTimeField(
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="In the organization's time zone.",
    )
    value = forms.FloatField()
    denominator = forms.FloatField(required=False, help_text="Ratio metrics only, e.g. units shipped.")
    note = forms.CharField(required=False, max_length=500)
    override_reason = forms.CharField(
        required=False,
        max_length=500,
        label="Reason (closed periods only)",
        help_text="Admins only: why this reading belongs in a closed period.",
    )

    def __init__(self, *args, user, metrics, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].queryset = metrics
        self.fields["person"].queryset = people
        if not access.is_admin(user):
            del self.fields["override_reason"]
        if not self.is_bound:
            self.initial.setdefault(
                "measured_at",
                timezone.localtime(timezone.now(), periods.organization_zone())
                .replace(second=0, microsecond=0)
                .strftime("%Y-%m-%dT%H:%M"),
            )

    def clean_measured_at(self) -> datetime:
        value = self.cleaned_data["measured_at"]
        if timezone.is_naive(value):
            value = timezone.make_aware(value, periods.organization_zone())
        return value
