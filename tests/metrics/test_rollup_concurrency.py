"""Two rollup runs at once (two workers, or beat and a nudge) give exactly what one run gives."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from metrics import rollups
from metrics.models import Reading, Rollup, RollupQueue
from metrics.services import ReadingRow, record_readings
from tests.metrics.factories import MetricFactory

pytestmark = pytest.mark.django_db(transaction=True)


def snapshot():
    return sorted(Rollup.objects.values_list("metric_id", "period", "start", "owner_type", "owner_id", "n", "total",
                                             "minimum", "maximum", "last_value", "denominator"))


def test_concurrent_runs_agree_with_a_full_rebuild(org):
    metric = MetricFactory(department=org.support)
    start = datetime(2026, 7, 1, 9, tzinfo=ZoneInfo("UTC"))
    rows = [ReadingRow(metric=metric, person=person, measured_at=start + timedelta(hours=7 * n), value=n % 13)
            for n in range(300) for person in (org.bob, org.alice)]
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
