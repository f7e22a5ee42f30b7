"""The range of dates Keel accepts from people, in one place: forms, imports and services all check against it.

A date outside it is a typo (0202 for 2026) or a probe (0001-01-01, 9999-12-31), never a plan or a record: the
first computer-kept quality figures are later than 1970, and nobody plans a goal cycle or a review after 2999.
Staying far from the calendar's own ends (years 1 and 9999) also keeps every piece of period arithmetic safe: a
week, month or cycle after the last accepted day, a series of 60 months, a reading's day in another time zone,
all still exist, so no page or task meets an OverflowError on a date someone typed.
"""

from datetime import date, datetime

from django import forms
from django.core.exceptions import ValidationError

from core.exceptions import RuleViolation

EARLIEST = date(1970, 1, 1)
LATEST = date(2999, 12, 31)


def problem(value: date | datetime | None) -> str | None:
    """Why a date (or a date and time) cannot be accepted, or None when it can (None itself is not a date here)."""
    if value is None:
        return None
    day = value.date() if isinstance(value, datetime) else value
    if day < EARLIEST or day > LATEST:
        return (
            f"Give a date between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} "
            f"({day.isoformat()} is outside the range Keel accepts)."
        )
    return None


def check(value: date | datetime | None, *, field: str | None = None) -> None:
    """For services: raise RuleViolation (naming `field`) when a date is outside the accepted range."""
    message = problem(value)
    if message:
        raise RuleViolation(message, field=field)


def validate_in_range(value: date | datetime | None) -> None:
    """A form field validator with the same rule."""
    message = problem(value)
    if message:
        raise ValidationError(message, code="date_out_of_range")


class BoundedDatesMixin:
    """A form mixin: every date and date-time field of the form (declared or made from a model) accepts only
    dates within EARLIEST..LATEST, with a message saying so."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for form_field in self.fields.values():
            temporal = isinstance(form_field, forms.DateField | forms.DateTimeField | forms.SplitDateTimeField)
            if temporal and validate_in_range not in form_field.validators:
                form_field.validators.append(validate_in_range)
