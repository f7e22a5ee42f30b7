"""A rollup run that meets a bucket it cannot compute records it, goes on with every other bucket, and retries it.

The bad buckets come from readings stored before readings were bounded (written straight into the table here):
on PostgreSQL their sum overflows ("value out of range"), on SQLite it would be infinity, which the rollup's
constraint refuses. Both run in CI: set DATABASE_URL for PostgreSQL.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from metrics.models import Metric, Reading, Rollup, RollupFailure, RollupQueue, RollupRun
from metrics.services import readings, rollups
from metrics.services.readings import ReadingRow, record_readings
from tests.metrics.factories import MetricFactory

UTC = ZoneInfo("UTC")


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@pytest.fixture
def reply(org):
    return MetricFactory(
        department=org.support, name="First reply time", code="reply", aggregation=Metric.Aggregation.SUM
    )


@pytest.fixture
def fcr(org):
    return MetricFactory(department=org.support, name="First-contact resolution", code="fcr")


def legacy(org, metric, *moments, value=1e308):
    """Readings stored before the bound existed, as an old release let them through; their buckets queued."""
    made = [
        Reading.objects.create(
            metric=metric,
            person=org.bob,
            department=org.front_line,
            measured_at=moment,
            day=moment.date(),
            value=value,
            source=Reading.Source.FORM,
        )
        for moment in moments
    ]
    rollups.queue_readings(ids=[r.pk for r in made])
    return made


def good(org, metric, day="2026-11-02"):
    record_readings(
        rows=[ReadingRow(metric=metric, person=org.bob, measured_at=at(day), value=80)],
        recorded_by=org.admin,
        source=Reading.Source.FORM,
    )


def test_one_overflowing_day_does_not_stop_the_other_buckets(org, reply, fcr):
    legacy(org, reply, at("2026-11-02", 9), at("2026-11-02", 15))
    good(org, fcr)
    result = rollups.run()
    assert result.failed == 4  # bob's day, and Front Line's, Support's and Acme's
    assert Rollup.objects.filter(metric=fcr, period="month", owner_type="p", owner_id=org.bob.pk).get().total == 80
    assert not Rollup.objects.filter(metric=reply).exists()
    failures = RollupFailure.objects.filter(metric=reply)
    assert {(f.owner_type, f.owner_id) for f in failures} == {
        ("p", org.bob.pk),
        ("d", org.front_line.pk),
        ("d", org.support.pk),
        ("d", org.acme.pk),
    }
    assert {(f.day.isoformat(), f.period, f.attempts) for f in failures} == {("2026-11-02", "day", 1)}
    assert all(f.error for f in failures)
    assert RollupRun.objects.latest().failed == 4


def test_the_failing_keys_stay_queued_and_are_retried(org, reply, fcr):
    legacy(org, reply, at("2026-11-02", 9), at("2026-11-02", 15))
    rollups.run()
    assert RollupQueue.objects.filter(metric=reply).count() == 4
    good(org, fcr, "2026-11-03")
    assert rollups.run().failed == 4
    assert set(RollupFailure.objects.values_list("attempts", flat=True)) == {2}
    assert Rollup.objects.filter(metric=fcr).exists()


def test_correcting_the_reading_clears_the_failure(org, reply):
    first, _second = legacy(org, reply, at("2026-11-02", 9), at("2026-11-02", 15))
    rollups.run()
    readings.delete_readings(readings=Reading.objects.filter(pk=first.pk))
    result = rollups.run()
    assert result.failed == 0
    assert not RollupFailure.objects.exists() and not RollupQueue.objects.exists()
    day = Rollup.objects.get(metric=reply, period="day", owner_type="p", owner_id=org.bob.pk)
    assert day.total == 1e308


def test_an_overflowing_week_names_the_week(org, reply, fcr):
    legacy(org, reply, at("2026-11-02"), at("2026-11-03"))  # each day holds 1e308; their week cannot
    good(org, fcr)
    # Key by key, the first day's keys fit in their week; the second day's (bob and three departments) do not.
    assert rollups.run().failed == 4
    assert set(RollupFailure.objects.values_list("period", "day")) == {("week", at("2026-11-03").date())}
    assert Rollup.objects.filter(metric=fcr, period="week").exists()


def test_a_full_rebuild_goes_on_past_a_failing_bucket(org, reply, fcr):
    legacy(org, reply, at("2026-11-02", 9), at("2026-11-02", 15))
    good(org, fcr)
    rollups.run()
    RollupQueue.objects.all().delete()
    result = rollups.run(full=True)
    assert result.failed == 4
    assert Rollup.objects.filter(metric=fcr, period="month").count() == 4  # bob and three departments
    assert RollupQueue.objects.filter(metric=reply).count() == 4


def test_admins_see_the_failures(client, org, reply):
    legacy(org, reply, at("2026-11-02", 9), at("2026-11-02", 15))
    rollups.run()
    client.force_login(org.admin)
    page = client.get(reverse("admin:metrics_rollupfailure_changelist")).content.decode()
    assert "First reply time" in page and "2026-11-02" in page.replace("Nov. 2, 2026", "2026-11-02")
    assert "4 failing" in client.get(reverse("admin:metrics_metric_changelist")).content.decode()
