"""Period arithmetic, pinned by properties: every day lies in exactly one bucket, a window's last piece stops at
its end, a date moved between periods keeps its meaning, and days are right on daylight-saving days everywhere."""

import calendar
import sqlite3
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from core import periods
from reviews.models import ReviewSeries
from reviews.services import sessions, training

ZONES = ["Europe/Berlin", "America/New_York", "Pacific/Auckland", "Australia/Lord_Howe", "UTC"]
days = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))
period_sizes = st.sampled_from(periods.PERIODS)


def is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


# --- buckets -----------------------------------------------------------------------------------------------------


@given(days, period_sizes)
def test_a_day_lies_in_the_bucket_that_starts_on_its_bucket_start(day, period):
    start = periods.bucket_start(day, period)
    assert start <= day <= periods.bucket_end(start, period)
    assert periods.bucket_start(start, period) == start
    assert periods.bucket_start(periods.bucket_end(start, period), period) == start


@given(days, period_sizes)
def test_buckets_start_on_a_day_monday_or_first_of_the_month(day, period):
    start = periods.bucket_start(day, period)
    if period == periods.WEEK:
        assert start.weekday() == 0
    if period == periods.MONTH:
        assert start.day == 1


@given(days, period_sizes)
def test_the_next_bucket_starts_the_day_after_this_one_ends(day, period):
    start = periods.bucket_start(day, period)
    following = periods.shift(start, period, 1)
    assert following == periods.bucket_end(start, period) + timedelta(days=1)
    assert periods.shift(following, period, -1) == start


@given(days, period_sizes, st.integers(min_value=-60, max_value=60))
def test_shifting_there_and_back_returns_to_the_same_bucket(day, period, steps):
    start = periods.bucket_start(day, period)
    assert periods.shift(periods.shift(start, period, steps), period, -steps) == start


@given(days, st.integers(min_value=0, max_value=120), period_sizes)
def test_every_day_belongs_to_exactly_one_bucket(first, span, period):
    last = first + timedelta(days=span)
    seen: dict[date, int] = {}
    start = periods.bucket_start(first, period)
    while start <= last:
        for offset in range(periods.length(start, period)):
            seen[start + timedelta(days=offset)] = seen.get(start + timedelta(days=offset), 0) + 1
        start = periods.shift(start, period, 1)
    assert all(seen[first + timedelta(days=n)] == 1 for n in range(span + 1))


@given(days)
def test_iso_weeks_are_labelled_with_their_iso_year_and_number(day):
    start = periods.bucket_start(day, periods.WEEK)
    year, week, _ = day.isocalendar()
    assert periods.label(start, periods.WEEK) == f"W{week:02d} {year}"


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (date(2026, 12, 28), "W53 2026"),
        (date(2027, 1, 3), "W53 2026"),
        (date(2027, 1, 4), "W01 2027"),
        (date(2020, 12, 31), "W53 2020"),
        (date(2024, 12, 30), "W01 2025"),
    ],
)
def test_iso_week_53_and_weeks_that_straddle_new_year(day, label):
    assert periods.label(periods.bucket_start(day, periods.WEEK), periods.WEEK) == label


@given(days)
def test_month_buckets_end_on_the_months_last_day(day):
    end = periods.bucket_end(periods.bucket_start(day, periods.MONTH), periods.MONTH)
    assert is_month_end(end) and end.month == day.month


@given(days, period_sizes)
def test_sql_buckets_agree_with_python_on_sqlite(day, period):
    db = sqlite3.connect(":memory:")
    [(start,)] = db.execute(f"SELECT {periods.sql_bucket_start('?', period, 'sqlite')}", [day.isoformat()])
    assert date.fromisoformat(start) == periods.bucket_start(day, period)
    if period != periods.DAY:
        bucket = periods.bucket_start(day, period)
        [(following,)] = db.execute(
            f"SELECT {periods.sql_next_bucket_start('?', period, 'sqlite')}", [bucket.isoformat()]
        )
        assert date.fromisoformat(following) == periods.shift(bucket, period, 1)


@given(days, period_sizes)
def test_the_days_passed_of_a_bucket_run_from_one_to_its_length(day, period):
    start = periods.bucket_start(day, period)
    passed = periods.days_passed(start, period, on=day)
    assert 1 <= passed <= periods.length(start, period)
    assert passed == (day - start).days + 1


@given(days, period_sizes)
def test_the_last_complete_bucket_is_over_and_the_next_one_is_not(day, period):
    complete = periods.last_complete(period, on=day)
    assert periods.bucket_end(complete, period) < day
    assert periods.shift(complete, period, 1) <= day


# --- cutting a window (a cycle, a goal's dates) into buckets -------------------------------------------------------


@given(days, st.integers(min_value=0, max_value=400), period_sizes)
def test_a_cut_window_holds_every_day_once_and_stops_at_its_end(first, span, period):
    last = first + timedelta(days=span)
    pieces = periods.cut(first, last, period)
    assert pieces[0].first == first and pieces[-1].last == last  # the cycle's last week stops at its end
    for before, after in pairwise(pieces):
        assert after.first == before.last + timedelta(days=1)
    assert sum((p.last - p.first).days + 1 for p in pieces) == span + 1
    for piece in pieces:
        assert periods.bucket_start(piece.first, period) == piece.bucket == periods.bucket_start(piece.last, period)
    assert all(p.whole for p in pieces[1:-1])


@given(days, st.integers(min_value=0, max_value=100), period_sizes, st.integers(min_value=0, max_value=120))
def test_a_piece_is_complete_only_once_its_last_day_is_over(first, span, period, later):
    on = first + timedelta(days=later)
    for piece in periods.cut(first, first + timedelta(days=span), period):
        assert piece.complete_on(on) == (piece.last < on)


# --- moving a date between periods -----------------------------------------------------------------------------------


@given(days, st.integers(min_value=-48, max_value=48))
def test_add_months_keeps_the_day_or_the_months_last(day, months):
    moved = periods.add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    if is_month_end(day):
        assert is_month_end(moved)
    else:
        assert moved.day == min(day.day, calendar.monthrange(moved.year, moved.month)[1])


years = st.integers(min_value=1995, max_value=2090)


@given(years, st.integers(min_value=1, max_value=5), st.data())
def test_a_date_moved_to_a_later_year_keeps_its_day_and_month(year, ahead, data):
    day = data.draw(st.dates(min_value=date(year, 1, 1), max_value=date(year, 12, 31)))
    moved = periods.map_date(
        day,
        source=(date(year, 1, 1), date(year, 12, 31)),
        target=(date(year + ahead, 1, 1), date(year + ahead, 12, 31)),
    )
    if (day.month, day.day) == (2, 29) or (day.month == 2 and is_month_end(day)):
        assert (moved.month, moved.day) == (2, calendar.monthrange(year + ahead, 2)[1])
    else:
        assert (moved.month, moved.day) == (day.month, day.day)


@given(days, st.integers(min_value=1, max_value=400), days, st.integers(min_value=1, max_value=400), st.data())
def test_a_mapped_date_lies_in_the_target_and_keeps_first_and_last_days(first, span, to_first, to_span, data):
    last, to_last = first + timedelta(days=span), to_first + timedelta(days=to_span)
    day = data.draw(st.dates(min_value=first, max_value=last))
    moved = periods.map_date(day, source=(first, last), target=(to_first, to_last))
    assert to_first <= moved <= to_last
    assert periods.map_date(last, source=(first, last), target=(to_first, to_last)) == to_last
    assert periods.map_date(first, source=(first, last), target=(to_first, to_last)) == to_first


@given(
    st.integers(min_value=1995, max_value=2090),
    st.integers(min_value=1, max_value=12),
    st.sampled_from([1, 2, 3, 4, -1]),
    st.integers(min_value=0, max_value=6),
    st.integers(min_value=1, max_value=36),
)
def test_first_tuesday_stays_the_first_tuesday(year, month, week, weekday, months):
    day = periods.nth_weekday(year, month, week, weekday)
    assert day.weekday() == weekday and periods.weekday_of_month(day) == (
        week if week == -1 or day.month == (day + timedelta(weeks=1)).month else -1
    )
    end = date(year + 10, 12, 31)
    moved = periods.map_date(
        day,
        source=(date(year, month, 1), end),
        by_weekday=True,
        target=(periods.add_months(date(year, month, 1), months), periods.add_months(end, months)),
    )
    if day not in (date(year, month, 1), end):
        assert moved.weekday() == weekday
        if periods.weekday_of_month(day) == -1:  # the last stays the last (a fourth that is also the last too)
            assert periods.weekday_of_month(moved) == -1
        else:
            assert (moved.day - 1) // 7 == (day.day - 1) // 7  # the n-th stays the n-th


@given(
    st.integers(min_value=1, max_value=4) | st.just(-1),
    st.integers(min_value=0, max_value=6),
    st.integers(min_value=1, max_value=24),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2080, 1, 1)),
)
def test_a_review_series_meets_on_its_weekday_of_every_nth_month(week, weekday, every, first_month):
    series = ReviewSeries(
        week_of_month=week, weekday=weekday, every_months=every, first_month=first_month.replace(day=1)
    )
    occurrences = sessions.occurrence_days(
        series, start=first_month.replace(day=1), end=periods.add_months(first_month, 60)
    )
    assert occurrences
    for n, day in enumerate(occurrences):
        assert day.weekday() == weekday
        assert (day.day - 1) // 7 + 1 == week if week > 0 else periods.weekday_of_month(day) == -1
        assert (day.year * 12 + day.month) - (first_month.year * 12 + first_month.month) == n * every


# --- fixed refresher windows ---------------------------------------------------------------------------------------

deadlines = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))


@given(
    deadlines,
    st.sampled_from([1, 3, 6, 12, 24]),
    st.integers(min_value=-400, max_value=3000),
    st.integers(min_value=0, max_value=400),
)
def test_completing_earlier_in_a_fixed_window_is_never_worse(first, every, offset, later):
    early = first + timedelta(days=offset)
    late = early + timedelta(days=later)
    assert training.due_after_completion(first, every, early) <= training.due_after_completion(first, every, late)


@given(deadlines, st.sampled_from([1, 3, 6, 12, 24]), st.integers(min_value=-400, max_value=3000))
def test_a_fixed_window_is_due_on_a_deadline_after_the_completion(first, every, offset):
    completed = first + timedelta(days=offset)
    due = training.due_after_completion(first, every, completed)
    assert due > completed
    k = (due.year * 12 + due.month) - (first.year * 12 + first.month)
    assert k % every == 0 and due == periods.add_months(first, k)
    if completed >= first:  # once deadlines run, the next one is at most a cycle and a half away
        assert due <= periods.add_months(completed, every * 2)


@given(deadlines, st.sampled_from([1, 3, 6, 12, 24]), st.integers(min_value=0, max_value=40))
def test_a_completion_on_or_before_a_deadline_satisfies_it(first, every, k):
    deadline = periods.add_months(first, k * every)
    for before in (0, 1, 5):
        completed = deadline - timedelta(days=before)
        assert training.due_after_completion(first, every, completed) == periods.add_months(first, (k + 1) * every)


# --- days in the organization's zone, daylight saving included ---------------------------------------------------


@settings(deadline=None)
@given(
    st.sampled_from(ZONES),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC)),
)
def test_a_moment_falls_on_the_local_day_of_the_organizations_zone(zone, moment):
    with override_settings(TIME_ZONE=zone):
        day = periods.local_day(moment)
    assert day == moment.astimezone(ZoneInfo(zone)).date()


def transitions(zone: str, year: int) -> list[date]:
    """The local days of a year on which the zone's offset changes."""
    tz = ZoneInfo(zone)
    found, day = [], date(year, 1, 1)
    while day.year == year:
        start = datetime.combine(day, time(0), tz)
        if start.utcoffset() != datetime.combine(day + timedelta(days=1), time(0), tz).utcoffset():
            found.append(day)
        day += timedelta(days=1)
    return found


@pytest.mark.parametrize("zone", ZONES[:-1])
def test_every_moment_of_a_daylight_saving_day_falls_on_that_day(zone):
    tz = ZoneInfo(zone)
    for day in transitions(zone, 2027):
        start = datetime.combine(day, time(0), tz).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(UTC)
        hours = (end - start) / timedelta(hours=1)
        assert hours in (23, 23.5, 24.5, 25)  # Lord Howe moves by half an hour
        moment = start
        with override_settings(TIME_ZONE=zone):
            while moment < end:
                assert periods.local_day(moment) == day
                moment += timedelta(minutes=15)
            assert periods.local_day(end) == day + timedelta(days=1)
            assert periods.local_day(start - timedelta(seconds=1)) == day - timedelta(days=1)


@pytest.mark.parametrize("zone", ZONES[:-1])
def test_the_week_of_a_daylight_saving_day_has_seven_days(zone):
    for day in transitions(zone, 2027):
        pieces = periods.cut(day - timedelta(days=10), day + timedelta(days=10), periods.WEEK)
        whole = [p for p in pieces if p.whole]
        assert all(periods.length(p.bucket, periods.WEEK) == 7 for p in whole)
        assert any(p.first <= day <= p.last for p in pieces)


def test_the_ci_moment_on_a_berlin_daylight_saving_night_is_sunday_28_march():
    moment = datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # 03:30 summer time, just after the clocks moved
    with override_settings(TIME_ZONE="Europe/Berlin"):
        assert periods.local_day(moment) == date(2027, 3, 28)
        assert periods.bucket_start(periods.local_day(moment), periods.WEEK) == date(2027, 3, 22)
