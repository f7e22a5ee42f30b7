"""Dates and times as people read them: always in the organization's zone, whatever zone is active.

{% load org_time %}
{{ moment|org_date:"j F Y" }}   the day (or, with a time format, the moment) in the organization's zone
{{ expiry|last_day:"j F Y" }}   the last day an exclusive end still covers (see core.periods.last_day_before)
"""

from datetime import date, datetime

from django import template
from django.utils import dateformat, timezone

from core import periods

register = template.Library()

DEFAULT_FORMAT = "j M Y"


def _formatted(value, fmt: str) -> str:
    if isinstance(value, datetime):
        return dateformat.format(timezone.localtime(value, periods.organization_zone()), fmt)
    if isinstance(value, date):
        return dateformat.format(value, fmt)
    return ""


@register.filter
def org_date(value, fmt: str = DEFAULT_FORMAT) -> str:
    """A date, or an aware date and time shown in the organization's zone, in Django's date format `fmt`."""
    return _formatted(value, fmt)


@register.filter
def last_day(value, fmt: str = DEFAULT_FORMAT) -> str:
    """The last day (organization's zone) an exclusive end instant covers, in Django's date format `fmt`."""
    if not isinstance(value, datetime):
        return _formatted(value, fmt)
    return dateformat.format(periods.last_day_before(value), fmt)
