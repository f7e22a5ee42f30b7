"""Rollups: day, week and month buckets per person and per department subtree, incremental and rebuildable."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from metrics.models import Metric, Reading, Rollup, RollupQueue
from metrics.services import rollups
from metrics.services.readings import ReadingRow, record_readings
from tests.metrics.factories import MetricFactory

UTC = ZoneInfo("UTC")


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def record(org, metric, *readings, by=None):
    rows = [
        ReadingRow(metric=metric, person=person, measured_at=when, value=value, denominator=denominator)
        for person, when, value, *rest in readings
        for denominator in [rest[0] if rest else None]
    ]
    return record_readings(rows=rows, recorded_by=by or org.admin, source=Reading.Source.FORM)


def buckets(metric, period, owner_type, owner_id):
    return {
        r.start.isoformat(): r.value_for(metric)
        for r in Rollup.objects.filter(metric=metric, period=period, owner_type=owner_type, owner_id=owner_id)
    }


def snapshot():
    return sorted(
        Rollup.objects.values_list(
            "metric_id",
            "period",
            "start",
            "owner_type",
            "owner_id",
            "n",
            "total",
            "minimum",
            "maximum",
            "last_value",
            "denominator",
        )
    )


@pytest.fixture
def fcr(org):
    return MetricFactory(department=org.support, name="First-contact resolution", code="fcr")


def test_it_rolls_up_a_persons_days_weeks_and_months(org, fcr):
    record(
        org,
        fcr,
        (org.bob, at("2026-11-02", 9), 80),
        (org.bob, at("2026-11-02", 15), 90),
        (org.bob, at("2026-11-04"), 100),
        (org.bob, at("2026-10-30"), 50),
    )
    rollups.run()
    assert buckets(fcr, "day", "p", org.bob.pk) == {"2026-11-02": 85, "2026-11-04": 100, "2026-10-30": 50}
    assert buckets(fcr, "week", "p", org.bob.pk) == {"2026-11-02": 90, "2026-10-26": 50}
    assert buckets(fcr, "month", "p", org.bob.pk) == {"2026-11-01": 90, "2026-10-01": 50}
    assert RollupQueue.objects.count() == 0


def test_department_buckets_total_the_whole_subtree(org, fcr):
    record(org, fcr, (org.bob, at("2026-11-02"), 80), (org.alice, at("2026-11-02"), 100))
    rollups.run()
    assert buckets(fcr, "day", "d", org.support.pk) == {"2026-11-02": 90}  # alice (Support) + bob (Front Line)
    assert buckets(fcr, "day", "d", org.front_line.pk) == {"2026-11-02": 80}
    assert buckets(fcr, "day", "d", org.acme.pk) == {"2026-11-02": 90}
    assert buckets(fcr, "day", "d", org.sales.pk) == {}


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    [
        ("sum", 30),
        ("mean", 10),
        ("min", 5),
        ("max", 15),
        ("last", 10),
    ],
)
def test_each_aggregation_gives_its_figure(org, aggregation, expected):
    metric = MetricFactory(department=org.support, aggregation=aggregation)
    record(
        org,
        metric,
        (org.bob, at("2026-11-02", 8), 5),
        (org.bob, at("2026-11-02", 9), 15),
        (org.bob, at("2026-11-03", 10), 10),
    )
    rollups.run()
    assert buckets(metric, "week", "p", org.bob.pk) == {"2026-11-02": expected}


def test_a_ratio_divides_the_sums(org):
    defects = MetricFactory(
        department=org.support, aggregation=Metric.Aggregation.RATIO, ratio_scale=1000, direction=Metric.Direction.LOWER
    )
    record(org, defects, (org.bob, at("2026-11-02"), 3, 1000), (org.bob, at("2026-11-03"), 1, 3000))
    rollups.run()
    assert buckets(defects, "week", "p", org.bob.pk) == {"2026-11-02": 1.0}  # 4 per 4,000 = 1 per 1,000


def test_weeks_and_months_follow_the_organization_time_zone(org, fcr, settings):
    settings.TIME_ZONE = "Pacific/Auckland"  # UTC+13 in November
    record(org, fcr, (org.bob, datetime(2026, 11, 1, 20, 0, tzinfo=UTC), 70))  # Monday 2 Nov in Auckland
    rollups.run()
    assert buckets(fcr, "day", "p", org.bob.pk) == {"2026-11-02": 70}
    assert buckets(fcr, "week", "p", org.bob.pk) == {"2026-11-02": 70}


def test_a_late_reading_updates_only_its_buckets(org, fcr):
    record(org, fcr, (org.bob, at("2026-11-02"), 80), (org.bob, at("2026-10-05"), 60))
    rollups.run()
    october_day = Rollup.objects.get(metric=fcr, period="day", owner_type="p", start="2026-10-05")
    record(org, fcr, (org.bob, at("2026-11-03"), 100))  # back-dated relative to nothing: a new day
    result = rollups.run()
    assert result.queue_rows == 4  # bob's day, and Front Line, Support, Acme
    assert Rollup.objects.get(pk=october_day.pk).updated_at == october_day.updated_at
    assert buckets(fcr, "week", "p", org.bob.pk)["2026-11-02"] == 90


def test_the_same_reading_twice_updates_it(org, fcr):
    record(org, fcr, (org.bob, at("2026-11-02"), 80))
    result = record(org, fcr, (org.bob, at("2026-11-02"), 95))
    assert (result.created, result.updated) == (0, 1)
    assert Reading.objects.get().value == 95
    rollups.run()
    assert buckets(fcr, "day", "p", org.bob.pk) == {"2026-11-02": 95}


def test_a_deleted_reading_leaves_its_bucket(org, fcr):
    record(org, fcr, (org.bob, at("2026-11-02"), 80))
    rollups.run()
    Reading.objects.all().delete()
    RollupQueue.objects.create(metric=fcr, day="2026-11-02", owner_type="p", owner_id=org.bob.pk)
    rollups.run()
    assert buckets(fcr, "day", "p", org.bob.pk) == {}
    assert buckets(fcr, "month", "p", org.bob.pk) == {}


def test_a_deleted_last_reading_gives_its_week_and_month_the_days_before(org):
    """The week and month take the last value of their latest remaining day, and the emptied day's buckets go,
    for the person and every department above them."""
    last = MetricFactory(department=org.support, aggregation="last")
    record(org, last, (org.bob, at("2026-11-02"), 10), (org.bob, at("2026-11-04"), 99))
    rollups.run()
    assert buckets(last, "week", "d", org.acme.pk) == {"2026-11-02": 99}
    Reading.objects.filter(value=99).delete()
    for owner_type, owner in (("p", org.bob), ("d", org.front_line), ("d", org.support), ("d", org.acme)):
        RollupQueue.objects.create(metric=last, day="2026-11-04", owner_type=owner_type, owner_id=owner.pk)
    rollups.run()
    for owner_type, owner in (("p", org.bob), ("d", org.front_line), ("d", org.acme)):
        assert buckets(last, "day", owner_type, owner.pk) == {"2026-11-02": 10}
        assert buckets(last, "week", owner_type, owner.pk) == {"2026-11-02": 10}
        assert buckets(last, "month", owner_type, owner.pk) == {"2026-11-01": 10}
    incremental = snapshot()
    rollups.run(full=True)
    assert snapshot() == incremental


def test_running_twice_changes_nothing(org, fcr):
    record(org, fcr, (org.bob, at("2026-11-02"), 80), (org.alice, at("2026-11-09"), 70))
    rollups.run()
    first = snapshot()
    RollupQueue.objects.create(metric=fcr, day="2026-11-02", owner_type="p", owner_id=org.bob.pk)  # a re-sent key
    rollups.run()
    rollups.run()
    assert snapshot() == first


def test_a_run_killed_midway_leaves_the_queue_for_the_next_run(org, fcr, monkeypatch):
    record(org, fcr, (org.bob, at("2026-11-02"), 80))

    def die(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(rollups, "_period_insert", die)
    with pytest.raises(SystemExit):
        rollups.run()
    assert Rollup.objects.count() == 0 and RollupQueue.objects.count() == 4
    monkeypatch.undo()
    rollups.run()
    assert buckets(fcr, "day", "p", org.bob.pk) == {"2026-11-02": 80}


def test_the_full_rebuild_agrees_with_incremental_runs(org, fcr):
    sum_metric = MetricFactory(department=org.support, aggregation="sum")
    start = at("2026-09-28")
    for n in range(40):
        when = start + timedelta(days=n, hours=n % 5)
        record(org, fcr, (org.bob, when, 50 + n), (org.alice, when, 90 - n))
        record(org, sum_metric, (org.bob, when, n))
        if n % 7 == 0:
            rollups.run()
    rollups.run()
    incremental = snapshot()
    rollups.run(full=True)
    assert snapshot() == incremental


def test_readings_deleted_in_the_admin_take_their_buckets_with_them(client, org, fcr):
    from django.urls import reverse

    record(org, fcr, (org.bob, at("2026-11-02"), 80), (org.alice, at("2026-11-02"), 100))
    rollups.run()
    client.force_login(org.admin)
    changelist = reverse("admin:metrics_reading_changelist")
    assert client.get(changelist).status_code == 200
    bobs = Reading.objects.get(person=org.bob)
    assert client.get(reverse("admin:metrics_reading_change", args=[bobs.pk])).status_code == 200  # view only
    assert client.post(reverse("admin:metrics_reading_change", args=[bobs.pk]), {"value": 1}).status_code == 403
    response = client.post(changelist, {"action": "delete_selected", "_selected_action": [bobs.pk], "post": "yes"})
    assert response.status_code == 302 and not Reading.objects.filter(person=org.bob).exists()
    assert RollupQueue.objects.filter(owner_type="p", owner_id=org.bob.pk).exists()
    rollups.run()
    assert buckets(fcr, "day", "p", org.bob.pk) == {}
    assert buckets(fcr, "month", "d", org.support.pk) == {"2026-11-01": 100}  # alice's alone now
    incremental = snapshot()
    rollups.run(full=True)
    assert snapshot() == incremental


def test_a_person_who_moved_corrects_a_reading_of_their_old_department(org):
    """The corrected reading stays with the department it was recorded in, and every bucket follows."""
    total = MetricFactory(department=org.support, aggregation="sum")
    record(org, total, (org.bob, at("2026-11-02"), 5))
    rollups.run()
    org.bob.department = org.support  # bob moves up from Front Line
    org.bob.save()
    record(org, total, (org.bob, at("2026-11-02"), 6))  # same metric, person and time: a correction
    rollups.run()
    assert Reading.objects.get().department == org.front_line
    assert buckets(total, "day", "d", org.front_line.pk) == {"2026-11-02": 6}
    assert buckets(total, "day", "d", org.support.pk) == {"2026-11-02": 6}
    incremental = snapshot()
    rollups.run(full=True)
    assert snapshot() == incremental


def test_a_department_moved_elsewhere_takes_its_figures_to_its_new_branch(org):
    """Department buckets add up through the tree's closure: after a move, the moved branch's figures, old and
    new, count under its new parents only, at once (the move queues them), as a full rebuild would have them."""
    everywhere = MetricFactory(department=org.acme)
    record(org, everywhere, (org.bob, at("2026-11-02"), 80))
    rollups.run()
    org.front_line.parent = org.sales
    org.front_line.save()
    record(org, everywhere, (org.bob, at("2026-11-03"), 60))
    rollups.run()
    # The move queued the branch's buckets for the departments it left and joined: no rebuild needed.
    assert buckets(everywhere, "day", "d", org.sales.pk) == {"2026-11-02": 80, "2026-11-03": 60}
    assert buckets(everywhere, "day", "d", org.support.pk) == {}
    assert buckets(everywhere, "week", "d", org.support.pk) == {}
    assert buckets(everywhere, "month", "d", org.sales.pk) == {"2026-11-01": 70}
    assert buckets(everywhere, "day", "d", org.acme.pk) == {"2026-11-02": 80, "2026-11-03": 60}
    before = snapshot()
    rollups.run(full=True)
    assert snapshot() == before
    assert buckets(everywhere, "day", "d", org.sales.pk) == {"2026-11-02": 80, "2026-11-03": 60}
    assert buckets(everywhere, "day", "d", org.support.pk) == {}
    assert buckets(everywhere, "week", "d", org.front_line.pk) == {"2026-11-02": 70}


def test_deleting_a_metric_deletes_its_rollups(org, fcr):
    """Rollups have no foreign key in the database: the metric's deletion removes them in code."""
    record(org, fcr, (org.bob, at("2026-11-02"), 80))
    rollups.run()
    Reading.objects.filter(metric=fcr).delete()
    assert Rollup.objects.filter(metric=fcr).exists()  # until the next run, which would drop them
    fcr.delete()
    assert not Rollup.objects.exists()


def test_a_full_rebuild_keeps_the_tables_keys_and_indexes(org, fcr):
    """On PostgreSQL a full rebuild swaps in a fresh table: it has the same constraints and indexes, under the same
    names, and new rows still get ids."""
    from django.db import connection

    def schema():
        with connection.cursor() as cursor:
            if connection.vendor != "postgresql":
                return None
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'metrics_rollup'::regclass ORDER BY conname"
            )
            constraints = cursor.fetchall()
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'metrics_rollup' ORDER BY 1")
            return constraints, cursor.fetchall(), connection.introspection.get_sequences(cursor, "metrics_rollup")

    before = schema()
    record(org, fcr, (org.bob, at("2026-11-02"), 80))
    rollups.run(full=True)
    assert schema() == before
    record(org, fcr, (org.bob, at("2026-11-03"), 70))
    rollups.run()
    assert buckets(fcr, "week", "p", org.bob.pk) == {"2026-11-02": 75}
    assert len({r.pk for r in Rollup.objects.all()}) == Rollup.objects.count()


def test_moving_a_department_queues_only_the_departments_it_left_or_joined(org):
    everywhere = MetricFactory(department=org.acme)
    record(org, everywhere, (org.bob, at("2026-11-02"), 80), (org.bob, at("2026-11-05"), 70))
    rollups.run()
    org.front_line.parent = org.sales
    org.front_line.save()
    queued = set(RollupQueue.objects.values_list("owner_type", "owner_id", "day"))
    days = [datetime.fromisoformat(d).date() for d in ("2026-11-02", "2026-11-05")]
    assert queued == {("d", owner, day) for owner in (org.support.pk, org.sales.pk) for day in days}
    org.front_line.name = "Front Line Team"
    org.front_line.save()  # not a move: nothing more
    assert RollupQueue.objects.count() == 4
