"""Two rollup runs at once (two workers, or beat and a nudge) give exactly what one run gives."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from metrics.models import Reading, Rollup, RollupQueue
from metrics.services import rollups
from metrics.services.readings import ReadingRow, record_readings
from tests.metrics.factories import MetricFactory

pytestmark = pytest.mark.django_db(transaction=True)


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


def test_concurrent_runs_agree_with_a_full_rebuild(org):
    metric = MetricFactory(department=org.support)
    start = datetime(2026, 7, 1, 9, tzinfo=ZoneInfo("UTC"))
    rows = [
        ReadingRow(metric=metric, person=person, measured_at=start + timedelta(hours=7 * n), value=n % 13)
        for n in range(300)
        for person in (org.bob, org.alice)
    ]
    record_readings(rows=rows, recorded_by=org.admin, source=Reading.Source.CSV)
    errors = []

    def run():
        try:
            rollups.run()
        except Exception as error:  # reported below, with the thread's own traceback in the message
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert RollupQueue.objects.count() == 0
    concurrent = snapshot()
    rollups.run(full=True)
    assert snapshot() == concurrent
    assert len(concurrent) > 0


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=ZoneInfo("UTC"))


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite serializes writers; the race needs PostgreSQL")
@pytest.mark.parametrize("pause_before", ["_day_insert", "_period_insert"])
def test_readings_committed_during_a_run_wait_whole_for_the_next(org, monkeypatch, pause_before):
    """A transaction that queued keys (with lower ids) commits while a run is under way: the run neither half
    sees those keys nor drops them, and its stale-bucket check is not fooled by them."""
    from metrics.services import readings as services

    monkeypatch.setattr(services, "_enqueue_rollup", lambda: None)  # this test runs the rollups itself
    metric = MetricFactory(department=org.support, aggregation="sum")
    record_readings(
        rows=[ReadingRow(metric=metric, person=org.bob, measured_at=at("2026-11-02"), value=5)],
        recorded_by=org.admin,
        source=Reading.Source.FORM,
    )
    rollups.run()
    go, ready, done = threading.Event(), threading.Event(), threading.Event()

    def writer():
        from django.db import transaction

        try:
            with transaction.atomic():
                record_readings(
                    rows=[
                        ReadingRow(metric=metric, person=org.alice, measured_at=at(f"2026-11-{d}"), value=1)
                        for d in ("10", "11", "12")
                    ],
                    recorded_by=org.admin,
                    source=Reading.Source.FORM,
                )
                ready.set()
                go.wait(20)
        finally:
            done.set()
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    assert ready.wait(20)
    Reading.objects.filter(person=org.bob).delete()  # bob's bucket must go: its keys are queued by hand
    for owner_type, owner in (("p", org.bob), ("d", org.front_line), ("d", org.support), ("d", org.acme)):
        RollupQueue.objects.create(metric=metric, day="2026-11-02", owner_type=owner_type, owner_id=owner.pk)
    real = getattr(rollups, pause_before)

    def paused(*args, **kwargs):
        if not go.is_set():  # the writer commits now, in the middle of the run
            go.set()
            assert done.wait(20)
        return real(*args, **kwargs)

    monkeypatch.setattr(rollups, pause_before, paused)
    rollups.run()
    thread.join()
    monkeypatch.undo()
    assert not Rollup.objects.filter(owner_type="p", owner_id=org.bob.pk).exists()
    assert RollupQueue.objects.exists()  # the writer's keys, left whole for the next run
    rollups.run()
    incremental = snapshot()
    rollups.run(full=True)
    assert snapshot() == incremental


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite serializes writers; the race needs PostgreSQL")
def test_a_reading_written_while_its_department_moves_counts_under_the_new_parent(org, monkeypatch):
    """The reading's transaction queued its keys through the old ancestors before the move committed; the move
    waits for it, so the departments the team joins count the reading too."""
    from django.db import transaction

    from metrics.services import readings as services

    monkeypatch.setattr(services, "_enqueue_rollup", lambda: None)  # this test runs the rollups itself
    metric = MetricFactory(department=org.acme, aggregation="sum")
    ready, go = threading.Event(), threading.Event()
    errors = []

    def writer():
        try:
            with transaction.atomic():
                record_readings(
                    rows=[ReadingRow(metric=metric, person=org.bob, measured_at=at("2026-11-02"), value=7)],
                    recorded_by=org.admin,
                    source=Reading.Source.FORM,
                )
                ready.set()
                go.wait(20)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    def move():
        try:
            org.front_line.parent = org.sales
            org.front_line.save()
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    writing = threading.Thread(target=writer)
    writing.start()
    assert ready.wait(20)
    moving = threading.Thread(target=move)
    moving.start()
    moving.join(timeout=1.5)  # without the lock the move commits at once, before the reading
    go.set()
    writing.join(timeout=20)
    moving.join(timeout=20)
    assert errors == [] and not moving.is_alive() and not writing.is_alive()
    rollups.run()
    day = datetime.fromisoformat("2026-11-02").date()
    sales = Rollup.objects.filter(metric=metric, period="day", owner_type="d", owner_id=org.sales.pk, start=day)
    assert [r.total for r in sales] == [7]
    assert not Rollup.objects.filter(metric=metric, owner_type="d", owner_id=org.support.pk).exists()
