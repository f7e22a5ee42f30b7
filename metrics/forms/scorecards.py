"""Forms of the scorecard pages: which bucket to show, closing a period, and awards."""

from dataclasses import dataclass, replace
from datetime import date

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core import dates, periods
from core.dates import BoundedDatesMixin
from metrics.models import Award, ClosedPeriod
from metrics.selectors.scorecards import PEOPLE, ROW_KINDS
from metrics.services.awards import MAX_TOP_N


@dataclass(frozen=True)
class Selection:
    """What the matrix shows: a period type and bucket, people or sub-department rows, an order, a page."""

    period: str
    start: date
    rows: str = PEOPLE
    sort: str = "name"
    page: int = 1

    @property
    def end(self) -> date:
        return periods.bucket_end(self.start, self.period)

    @property
    def label(self) -> str:
        return periods.label(self.start, self.period)

    @property
    def ended(self) -> bool:
        return self.end < periods.today()

    @property
    def previous(self) -> "Selection | None":
        """The bucket before, unless it lies wholly before the first date Keel accepts."""
        start = periods.shift(self.start, self.period, -1)
        if periods.bucket_end(start, self.period) < dates.EARLIEST:
            return None
        return replace(self, start=start, page=1)

    @property
    def next(self) -> "Selection | None":
        """The following bucket, unless it has not begun yet."""
        following = periods.shift(self.start, self.period, 1)
        return replace(self, start=following, page=1) if following <= periods.today() else None

    def query(self, **changes) -> str:
        chosen = replace(self, **changes)
        params = {"period": chosen.period, "start": chosen.start.isoformat(), "rows": chosen.rows, "sort": chosen.sort}
        if chosen.page > 1:
            params["page"] = chosen.page
        return "?" + urlencode(params)

    def for_period(self, period: str) -> "Selection":
        """The bucket of another period type containing this one's first day (the latest complete one if that
        bucket lies in the future)."""
        start = periods.bucket_start(self.start, period)
        return replace(self, period=period, start=min(start, periods.bucket_start(periods.today(), period)), page=1)


def latest_complete(period: str) -> date:
    return periods.last_complete(period)


class ScorecardFilterForm(BoundedDatesMixin, forms.Form):
    """The query string of a scorecard page; anything missing or malformed falls back to a sensible default."""

    period = forms.ChoiceField(choices=periods.PERIOD_CHOICES, required=False)
    start = forms.DateField(
        label="Showing the period containing", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    rows = forms.ChoiceField(choices=ROW_KINDS, required=False)
    sort = forms.CharField(required=False, max_length=40)
    page = forms.IntegerField(required=False, min_value=1)

    def selection(self) -> Selection:
        data = self.cleaned_data if self.is_valid() else {}
        period = data.get("period") or periods.WEEK
        start = data.get("start")
        current = periods.bucket_start(periods.today(), period)
        start = latest_complete(period) if start is None else min(periods.bucket_start(start, period), current)
        return Selection(
            period=period,
            start=start,
            rows=data.get("rows") or PEOPLE,
            sort=data.get("sort") or "name",
            page=data.get("page") or 1,
        )


class ClosePeriodForm(BoundedDatesMixin, forms.Form):
    period = forms.ChoiceField(choices=periods.PERIOD_CHOICES, widget=forms.HiddenInput)
    start = forms.DateField(widget=forms.HiddenInput)
    rule = forms.ChoiceField(
        label="Suggest awards for",
        choices=ClosedPeriod.Rule.choices,
        initial=ClosedPeriod.Rule.ALL_ON_TARGET,
        widget=forms.RadioSelect,
    )
    top_n = forms.IntegerField(
        label="N, for “Top N”",
        min_value=1,
        max_value=MAX_TOP_N,
        initial=3,
        widget=forms.NumberInput(attrs={"class": "keel-narrow-8"}),
        help_text="How many people the “Top N” rule suggests; a tie for the last place includes everyone tied.",
    )

    def __init__(self, *args, department=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = reverse("metrics:scorecard_close", args=[department.pk])
        self.helper.add_input(Submit("close", "Close this period", css_class="btn-primary"))


class AwardForm(forms.ModelForm):
    """Editing a suggested or given award before confirming it."""

    class Meta:
        model = Award
        fields = ["title", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"note": "Why: the person sees this with the award."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class AddAwardForm(forms.Form):
    """An award given by hand, to someone on the frozen scorecard."""

    person = forms.TypedChoiceField(coerce=int, choices=[])
    title = forms.CharField(max_length=120, initial="Recognition")
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Why: the person sees this with the award."
    )

    def __init__(self, *args, closed_period: ClosedPeriod, **kwargs):
        super().__init__(*args, **kwargs)
        people = sorted(
            (r for r in closed_period.scorecard["rows"] if r["kind"] == "person"), key=lambda r: r["name"].lower()
        )
        self.fields["person"].choices = [("", "Choose a person"), *((r["id"], r["name"]) for r in people)]
        self.helper = FormHelper()
        self.helper.form_action = reverse("metrics:award_add", args=[closed_period.pk])
        self.helper.add_input(Submit("add", "Add award", css_class="btn-primary"))


class ReopenForm(forms.Form):
    """The reason an admin gives for reopening a closed period; it stays in the period's history."""

    reason = forms.CharField(
        label=_("Why reopen it?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the period's history and in the note on every withdrawn award."),
    )


class TieForm(forms.Form):
    """Whom the manager chooses among people tied for the last place of a 'Top N' rule."""

    people = forms.TypedMultipleChoiceField(
        label=_("Who gets the award?"), coerce=int, widget=forms.CheckboxSelectMultiple, choices=[]
    )

    def __init__(self, *args, tied: list[dict], places_left: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].choices = [(r["id"], r["name"]) for r in tied]
        self.helper = FormHelper()
        self.helper.form_tag = False  # the page's own form posts it
        self.fields["people"].help_text = ngettext(
            "Choose at most %(n)d person.", "Choose at most %(n)d people.", places_left
        ) % {"n": places_left}
