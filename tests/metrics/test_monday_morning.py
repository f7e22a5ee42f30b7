"""Monday morning: the week has barely begun, so dashboards judge the last complete week and show this one "so far"."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse

from core import periods
from core.exceptions import RuleViolation
from metrics.models import Metric, Reading
from metrics.services import awards, rollups
from metrics.services.readings import ReadingRow, record_readings
from tests.metrics.factories import MetricFactory, TargetFactory

MONDAY_6AM = datetime(2026, 11, 30, 6, tzinfo=UTC)  # a Monday; the week before ran 23–29 November
LAST_THURSDAY = date(2026, 11, 26)


@pytest.fixture
def monday():
    with time_machine.travel(MONDAY_6AM, tick=False) as traveller:
        yield traveller


@pytest.fixture
def fcr(org, monday):
    metric = MetricFactory(department=org.support, name="First-contact resolution", code="fcr")
    TargetFactory(metric=metric, target=80, warning=70)
    return metric


def record(org, metric, person, value, day, hour=12):
    record_readings(
        rows=[
            ReadingRow(metric=metric, person=person, value=value, measured_at=datetime.combine(day, time(hour), UTC))
        ],
        recorded_by=org.admin,
        source=Reading.Source.FORM,
    )
    rollups.run()


def test_my_metrics_on_monday_morning_judges_last_week_and_shows_this_week_so_far(client, org, fcr):
    record(org, fcr, org.bob, 85, LAST_THURSDAY)
    client.force_login(org.bob)
    response = client.get(reverse("metrics:index") + "?period=week")
    [card] = response.context["cards"]
    assert (card.judged.value, card.judged.state) == (85, "on_track")
    assert card.current.value is None
    assert (card.so_far.passed, card.so_far.length) == (1, 7)
    page = response.content.decode()
    assert "No data" not in page
    assert "This week so far (day 1 of 7)" in page
    assert 'data-status="on_track"' in page


def test_a_monday_reading_does_not_change_the_status_of_the_week(client, org, fcr):
    record(org, fcr, org.bob, 85, LAST_THURSDAY)
    record(org, fcr, org.bob, 40, MONDAY_6AM.date(), hour=5)
    client.force_login(org.bob)
    [card] = client.get(reverse("metrics:index")).context["cards"]
    assert card.current.value == 40  # shown, so far
    assert (card.judged.value, card.judged.state) == (85, "on_track")


def test_the_department_dashboard_on_monday_morning_compares_last_week(client, org, fcr):
    record(org, fcr, org.bob, 90, LAST_THURSDAY)
    client.force_login(org.alice)
    response = client.get(reverse("metrics:department", args=[org.support.pk]) + "?period=week")
    [card] = response.context["cards"]
    assert (card.judged.value, card.judged.state) == (90, "on_track")
    [row] = response.context["children"]
    assert row.cells[0].value == 90
    page = response.content.decode()
    assert "No data" not in page
    assert "Sub-departments side by side, last week" in page


@pytest.mark.parametrize(("period", "passed", "length"), [("day", 1, 1), ("week", 1, 7), ("month", 30, 30)])
def test_the_period_so_far_says_how_much_of_it_has_passed(client, org, fcr, period, passed, length):
    client.force_login(org.bob)
    [card] = client.get(reverse("metrics:index") + f"?period={period}").context["cards"]
    assert (card.so_far.passed, card.so_far.length) == (passed, length)


def test_todays_readings_card_on_monday_morning_says_the_week_is_open_not_missed(client, org, monday):
    weekly = MetricFactory(
        department=org.support, name="Callbacks", code="callbacks", frequency=Metric.Frequency.WEEKLY
    )
    forgotten = MetricFactory(
        department=org.support, name="Escalations", code="escalations", frequency=Metric.Frequency.WEEKLY
    )
    record(org, weekly, org.bob, 12, LAST_THURSDAY)
    client.force_login(org.bob)
    section = next(s for s in client.get("/").context["sections"] if s["key"] == "metrics")
    rows = {r["metric"].code: r for r in section["data"]["rows"]}
    assert rows["callbacks"]["by"] == date(2026, 12, 6) and not rows["callbacks"]["missed"]
    assert rows["escalations"]["missed"]
    assert section["data"]["missed"] == [forgotten]


def test_closing_a_week_on_monday_morning_takes_the_last_complete_week_only(org, fcr):
    record(org, fcr, org.bob, 85, LAST_THURSDAY)
    closed = awards.close_period(
        department=org.support,
        period=periods.WEEK,
        start=LAST_THURSDAY,
        rule="all_on_target",
        top_n=3,
        closed_by=org.alice,
    )
    assert closed.start == date(2026, 11, 23)
    with pytest.raises(RuleViolation, match="has not ended yet"):
        awards.close_period(
            department=org.support,
            period=periods.WEEK,
            start=MONDAY_6AM.date(),
            rule="all_on_target",
            top_n=3,
            closed_by=org.alice,
        )


def test_the_week_so_far_ends_on_sunday_whatever_the_zone(settings, org, fcr):
    settings.TIME_ZONE = "Pacific/Auckland"  # Monday 06:00 UTC is Monday 19:00 there
    assert periods.today() == MONDAY_6AM.date()
    assert periods.last_complete(periods.WEEK) == MONDAY_6AM.date() - timedelta(days=7)
