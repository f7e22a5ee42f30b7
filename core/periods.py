"""Period arithmetic, in one place: days, ISO weeks and months in the organization's time zone."""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
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


def last_day_before(end: datetime) -> date:
    """The last calendar day, in the organization's zone, that an exclusive end instant still covers: a link
    that works until midnight starting 21 December works "until 20 December". The one way an expiry becomes a
    date for people to read (e-mails, pages, exports)."""
    return local_day(end - timedelta(microseconds=1))


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


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later (or earlier, if negative). The last day of a month stays the last
    day (30 Jun + 12 = 30 Jun, 28 Feb 2027 + 12 = 29 Feb 2028); a day the other month lacks becomes its last
    (31 Jan + 1 = 28 or 29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    length = calendar.monthrange(year, month)[1]
    if day.day == calendar.monthrange(day.year, day.month)[1]:
        return date(year, month, length)
    return date(year, month, min(day.day, length))


def nth_weekday(year: int, month: int, week: int, weekday: int) -> date:
    """The first..fourth (week 1..4) or last (week -1) `weekday` (Monday 0) of a month."""
    if not (week == -1 or 1 <= week <= 4) or not 0 <= weekday <= 6:
        raise ValueError(f"no week {week!r} of weekday {weekday!r} in a month")
    if week == -1:
        last = date(year, month, calendar.monthrange(year, month)[1])
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (week - 1))


def weekday_of_month(day: date) -> int:
    """Which `day.weekday()` of its month a day is: 1..4, or -1 for the last (a fifth one is always the last)."""
    if day.month != (day + timedelta(weeks=1)).month:
        return -1
    return (day.day - 1) // 7 + 1


def map_date(day: date, *, source: tuple[date, date], target: tuple[date, date], by_weekday: bool = False) -> date:
    """A day of the period source = (first, last) moved onto the period target, keeping its meaning.

    The source's first and last days become the target's first and last days. Otherwise, between periods that
    start on the same day of a month (cycles, quarters, years), the day moves by whole months: the same day of the
    month, a month's last day staying the last (30 Jun 2027 -> 30 Jun 2028, not 29 Jun), or with `by_weekday` the
    same weekday of the month ("first Tuesday" stays the first Tuesday, "last Friday" the last Friday). Between
    other periods it keeps its distance in days from the start (which keeps its weekday when both periods start on
    the same weekday). The result always lies within the target.
    """
    (first, last), (to_first, to_last) = source, target
    if day == last:
        moved = to_last
    elif day == first:
        moved = to_first
    elif first.day == to_first.day:
        months = (to_first.year - first.year) * 12 + to_first.month - first.month
        moved = add_months(day, months)
        if by_weekday:
            moved = nth_weekday(moved.year, moved.month, weekday_of_month(day), day.weekday())
    else:
        moved = to_first + (day - first)
    return min(max(moved, to_first), to_last)


@dataclass(frozen=True)
class Piece:
    """The days first..last of the bucket starting on `bucket` that lie inside a window."""

    bucket: date
    first: date
    last: date
    period: str

    @cached_property  # asked again and again of a cycle's hundreds of pieces
    def whole(self) -> bool:
        """True when the window holds the bucket's every day, so the bucket's own rollup is the piece's figure."""
        return self.first == self.bucket and self.last == bucket_end(self.bucket, self.period)

    def complete_on(self, day: date) -> bool:
        """True once every day of the piece is over on `day` (a day is over once the next one starts)."""
        return self.last < day


def cut(first: date, last: date, period: str) -> list[Piece]:
    """The buckets of `period` that meet the days first..last, oldest first, each cut to those days: every day of
    the window lies in exactly one piece; the first and last pieces may be partial (a cycle that starts on a
    Wednesday, a goal due mid-month), the others are whole buckets."""
    pieces = []
    start = bucket_start(first, period)
    while start <= last:
        pieces.append(
            Piece(bucket=start, first=max(start, first), last=min(bucket_end(start, period), last), period=period)
        )
        start = shift(start, period, 1)
    return pieces


def length(start: date, period: str) -> int:
    """How many days the bucket starting on start has."""
    return (bucket_end(start, period) - start).days + 1


def days_passed(start: date, period: str, *, on: date) -> int:
    """How many days of the bucket starting on start have begun by `on` (today counts: Monday is day 1 of 7)."""
    return max(0, min(length(start, period), (on - start).days + 1))


def last_complete(period: str, *, on: date | None = None) -> date:
    """Start of the latest bucket that is over on `on` (today): on a Monday, last week; on the 1st, last month."""
    return shift(bucket_start(on or today(), period), period, -1)


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
