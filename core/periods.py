"""Period arithmetic, in one place: days, ISO weeks and months in the organization's time zone."""

import calendar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

DAY, WEEK, MONTH = "day", "week", "month"
EPOCH = date(1, 1, 1)
PERIODS = (DAY, WEEK, MONTH)
PERIOD_CHOICES = [(DAY, "Day"), (WEEK, "Week"), (MONTH, "Month")]


def organization_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_day(moment: datetime) -> date:
    """The calendar day a moment falls on in the organization's zone."""
    return timezone.localtime(moment, organization_zone()).date()


def today() -> date:
    return local_day(timezone.now())


def bucket_start(day: date, period: str) -> date:
    if period == DAY:
        return day
    if period == WEEK:
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday
    if period == MONTH:
        return day.replace(day=1)
    raise ValueError(f"unknown period {period!r}")


def bucket_end(start: date, period: str) -> date:
    """The last day of the bucket that starts on start."""
    if period == DAY:
        return start
    if period == WEEK:
        return start + timedelta(days=6)
    if period == MONTH:
        return start.replace(day=calendar.monthrange(start.year, start.month)[1])
    raise ValueError(f"unknown period {period!r}")


def shift(start: date, period: str, steps: int) -> date:
    """The start of the bucket `steps` buckets after (or before, if negative) the one starting on start."""
    if period == DAY:
        return start + timedelta(days=steps)
    if period == WEEK:
        return start + timedelta(weeks=steps)
    months = start.year * 12 + start.month - 1 + steps
    return date(months // 12, months % 12 + 1, 1)


def recent_buckets(period: str, count: int, *, until: date | None = None) -> list[date]:
    """Starts of the last `count` buckets, oldest first, ending with the one containing `until` (today)."""
    last = bucket_start(until or today(), period)
    return [shift(last, period, -n) for n in range(count - 1, -1, -1)]


def label(start: date, period: str) -> str:
    if period == DAY:
        return start.strftime("%a %d %b")
    if period == WEEK:
        year, week, _ = start.isocalendar()
        return f"W{week:02d} {year}"
    return start.strftime("%b %Y")


CURRENT_LABELS = {DAY: ("today", "yesterday"), WEEK: ("this week", "last week"), MONTH: ("this month", "last month")}


def current_label(period: str) -> str:
    return CURRENT_LABELS[period][0]


def previous_label(period: str) -> str:
    return CURRENT_LABELS[period][1]


def sql_next_bucket_start(column: str, period: str, vendor: str) -> str:
    """SQL for the start of the bucket after the one starting on a DATE column (week or month)."""
    if vendor == "postgresql":
        return f"CAST({column} + interval '1 {'week' if period == WEEK else 'month'}' AS date)"
    return f"date({column}, '+7 days')" if period == WEEK else f"date({column}, '+1 month')"


def sql_bucket_start(column: str, period: str, vendor: str) -> str:
    """SQL for the start of the week or month containing a DATE column, for the database in use."""
    if period == DAY:
        return column
    if vendor == "postgresql":
        unit = "week" if period == WEEK else "month"
        return f"CAST(date_trunc('{unit}', {column}) AS date)"
    if period == WEEK:  # SQLite: 'weekday 0' moves to the next Sunday (or stays), then back to Monday
        return f"date({column}, 'weekday 0', '-6 days')"
    return f"date({column}, 'start of month')"
