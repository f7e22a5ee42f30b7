"""Forms for scheduling review sessions and series, cancelling, attendance, minutes and action items."""

from datetime import datetime, timedelta
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.utils import timezone

from core.dates import BoundedDatesMixin
from core.exceptions import RuleViolation
from core.forms import ModelMultipleChoiceField
from goals.models import QualityDefinition
from org.models import Department, User
from reviews.models import ReviewSeries
from reviews.services import sessions as scheduling
from reviews.services.sessions import Details, Pattern


def zone_choices() -> list[tuple[str, str]]:
    names = sorted(
        n
        for n in available_timezones()
        if "/" in n and not n.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
    )
    return [("UTC", "UTC")] + [(n, n.replace("_", " ")) for n in names]


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.display_name} · {obj.department}" if obj.department_id else obj.display_name


class PeopleChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.display_name} · {obj.department}" if obj.department_id else obj.display_name


class DepartmentsChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return "\u00a0\u00a0" * obj.depth + obj.name


class DefinitionsChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.title} ({obj.department.name})"


class _Details(BoundedDatesMixin, forms.Form):
    """The fields a session and a series share, and turning them into scheduling.Details."""

    title = forms.CharField(max_length=160)
    definitions = DefinitionsChoiceField(
        queryset=QualityDefinition.objects.none(),
        label="Quality definitions",
        widget=forms.SelectMultiple(attrs={"size": 5}),
        error_messages={"required": "Choose the quality definitions the session reviews."},
    )
    start_time = forms.TimeField(label="Starts at", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end_time = forms.TimeField(label="Ends at", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    time_zone = forms.ChoiceField(
        label="Time zone", choices=zone_choices, help_text="The time above is local time in this zone."
    )
    place = forms.CharField(max_length=200, required=False, help_text="A room, or leave empty for video only.")
    video_link = forms.URLField(required=False, assume_scheme="https")
    facilitator = PersonChoiceField(queryset=User.objects.none())
    agenda = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    departments = DepartmentsChoiceField(
        queryset=Department.objects.none(),
        required=False,
        label="Invite departments",
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Everyone active in these departments and the departments below them.",
    )
    people = PeopleChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Invite people",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["definitions"].queryset = (
            QualityDefinition.objects.active().select_related("department").order_by("title")
        )
        self.fields["facilitator"].queryset = (
            User.objects.filter(is_active=True).select_related("department").order_by("first_name", "last_name")
        )
        self.fields["departments"].queryset = Department.objects.order_by("path").only("id", "name", "depth")
        self.fields["people"].queryset = self.fields["facilitator"].queryset
        self.fields["time_zone"].initial = self.fields["time_zone"].initial or settings.TIME_ZONE

    def clean(self):
        data = super().clean()
        start, end = data.get("start_time"), data.get("end_time")
        if start and end:
            try:
                data["duration_minutes"] = scheduling.duration_between(start, end)
            except RuleViolation as error:
                self.add_error("end_time", error.message)
        if not (data.get("place", "").strip() or data.get("video_link", "").strip()) and not self.has_error(
            "video_link"
        ):
            self.add_error("place", "Say where it takes place: a room, or a video link.")
        if not (data.get("departments") or data.get("people")) and "departments" not in self.errors:
            self.add_error("people", "Invite at least one department or person.")
        return data

    def details(self) -> Details:
        data = self.cleaned_data
        return Details(
            title=data["title"],
            facilitator=data["facilitator"],
            time_zone=data["time_zone"],
            duration_minutes=data["duration_minutes"],
            place=data["place"],
            video_link=data["video_link"],
            agenda=data["agenda"],
            definitions=list(data["definitions"]),
            departments=list(data["departments"]),
            people=list(data["people"]),
        )


class SessionForm(_Details):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    field_order = ["title", "definitions", "date", "start_time", "end_time", "time_zone"]

    def clean(self):
        data = super().clean()
        day, start, zone_name = data.get("date"), data.get("start_time"), data.get("time_zone")
        if day and start and zone_name:
            data["starts_at"] = scheduling.local_start(day, start, zone_name)
            if data["starts_at"] <= timezone.now():
                self.add_error("date", "This is in the past; choose a later date or time.")
        return data


class MonthInput(forms.DateInput):
    input_type = "month"

    def format_value(self, value):
        return value.strftime("%Y-%m") if hasattr(value, "strftime") else value


class SeriesForm(_Details):
    week_of_month = forms.TypedChoiceField(label="Week", choices=ReviewSeries.Week.choices, coerce=int)
    weekday = forms.TypedChoiceField(
        label="Day", choices=ReviewSeries.Weekday.choices, coerce=int, initial=ReviewSeries.Weekday.TUESDAY
    )
    every_months = forms.TypedChoiceField(
        label="Repeats",
        coerce=int,
        initial=3,
        choices=[
            (1, "every month"),
            (2, "every 2 months"),
            (3, "quarterly"),
            (4, "every 4 months"),
            (6, "every 6 months"),
            (12, "yearly"),
        ],
    )
    first_month = forms.DateField(
        label="From",
        widget=MonthInput(),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        help_text="The month of the first session.",
    )
    until = forms.DateField(
        required=False,
        label="Until",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Optional: no sessions after this day.",
    )
    field_order = [
        "title",
        "definitions",
        "week_of_month",
        "weekday",
        "every_months",
        "first_month",
        "until",
        "start_time",
        "end_time",
        "time_zone",
    ]

    @classmethod
    def initial_for(cls, series: ReviewSeries) -> dict:
        end = (
            datetime.combine(series.first_month, series.local_time) + timedelta(minutes=series.duration_minutes)
        ).time()
        return {
            "title": series.title,
            "definitions": list(series.definitions.all()),
            "week_of_month": series.week_of_month,
            "weekday": series.weekday,
            "every_months": series.every_months,
            "first_month": series.first_month,
            "until": series.until,
            "start_time": series.local_time,
            "end_time": end,
            "time_zone": series.time_zone,
            "place": series.place,
            "video_link": series.video_link,
            "facilitator": series.facilitator,
            "agenda": series.agenda,
            "departments": list(series.invited_departments.all()),
            "people": list(series.invited_people.all()),
        }

    def clean(self):
        data = super().clean()
        first, until = data.get("first_month"), data.get("until")
        if first and until and until < first:
            self.add_error("until", f"The last day comes before the first month ({first:%B %Y}).")
        return data

    def pattern(self) -> Pattern:
        data = self.cleaned_data
        return Pattern(
            week_of_month=data["week_of_month"],
            weekday=data["weekday"],
            every_months=data["every_months"],
            first_month=data["first_month"],
            local_time=data["start_time"],
            until=data["until"],
        )


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        required=False,
        help_text="Told to everyone invited.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. The facilitator is ill"}),
    )


class AttendanceForm(forms.Form):
    attended = forms.TypedMultipleChoiceField(
        coerce=int, required=False, label="Who attended", widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, invitations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attended"].choices = [(i.person_id, i.person.display_name) for i in invitations]
        self.fields["attended"].initial = [i.person_id for i in invitations if i.attended]


class MinutesForm(forms.Form):
    minutes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 6}))


class ActionItemForm(BoundedDatesMixin, forms.Form):
    title = forms.CharField(max_length=200, label="Action")
    owner = forms.TypedChoiceField(coerce=int)
    due_date = forms.DateField(label="Due", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {p.pk: p for p in people}
        self.fields["owner"].choices = [("", "Choose…")] + [(p.pk, p.display_name) for p in people]
