"""Rolling readings up into day, ISO-week and month buckets, in SQL, touching only what changed.

Readings are the truth; rollups are derived and can always be rebuilt. A run:
  1. takes the rollup lock (one run at a time; a second one waits, then does what is left),
  2. reads the queue of touched (metric, day, owner) keys written with the readings,
  3. recomputes those day buckets from readings (GROUP BY), then the weeks and months containing them from
     the day buckets, deleting and re-inserting each touched bucket so deleted readings disappear too,
  4. deletes the queue rows it consumed, all in one transaction.
A worker killed mid-run rolls the transaction back: the queue rows are still there for the next run, and
running twice recomputes the same buckets to the same values.
"""

import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from . import periods
from .models import RollupQueue, RollupRun

log = logging.getLogger(__name__)

LOCK_KEY = 7_301_001  # pg_advisory_xact_lock key of the rollup

STATS = "n, total, minimum, maximum, last_value, last_at, denominator, updated_at"
ROLLUP_COLUMNS = f"metric_id, period, start, owner_type, owner_id, {STATS}"


@dataclass
class RunResult:
    queue_rows: int
    buckets: int
    seconds: float


def _lock(cursor) -> None:
    if connection.vendor == "postgresql":
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
    # SQLite: Keel's transactions are IMMEDIATE, so this transaction already holds the only write lock.


def _day_select(*, keys_sql: str | None, owner_type: str) -> str:
    """Day-bucket statistics of readings for the keys in keys_sql (columns metric_id, day, owner_id), or of
    every reading when keys_sql is None (a full rebuild).

    Person buckets group a person's readings; department buckets group the readings of the department and of
    every department below it (a reading's department path starts with the bucket department's path).
    The last value comes from a window over each bucket, newest reading first (ties: the larger value, so
    every run picks the same one).
    """
    if owner_type == "p" and keys_sql is None:
        source = ("SELECT r.metric_id, r.day, r.person_id AS owner_id, r.value, r.measured_at, r.denominator "
                  "FROM metrics_reading r WHERE r.person_id IS NOT NULL")
    elif owner_type == "p":
        source = (f"SELECT r.metric_id, r.day, r.person_id AS owner_id, r.value, r.measured_at, r.denominator "
                  f"FROM metrics_reading r JOIN ({keys_sql}) k ON k.metric_id = r.metric_id AND k.day = r.day "
                  f"AND k.owner_id = r.person_id")
    elif keys_sql is None:
        source = ("SELECT r.metric_id, r.day, bucket.id AS owner_id, r.value, r.measured_at, r.denominator "
                  "FROM metrics_reading r JOIN org_department rd ON rd.id = r.department_id "
                  "JOIN org_department bucket ON rd.path LIKE bucket.path || '%%'")
    else:
        source = (f"SELECT r.metric_id, r.day, k.owner_id, r.value, r.measured_at, r.denominator "
                  f"FROM ({keys_sql}) k JOIN org_department bucket ON bucket.id = k.owner_id "
                  f"JOIN metrics_reading r ON r.metric_id = k.metric_id AND r.day = k.day "
                  f"JOIN org_department rd ON rd.id = r.department_id AND rd.path LIKE bucket.path || '%%'")
    return (
        f"SELECT metric_id, '{periods.DAY}', day, '{owner_type}', owner_id, COUNT(*), SUM(value), MIN(value), "
        f"MAX(value), MAX(last_value), MAX(measured_at), SUM(denominator), %s FROM ("
        f"SELECT s.*, FIRST_VALUE(value) OVER (PARTITION BY metric_id, day, owner_id "
        f"ORDER BY measured_at DESC, value DESC) AS last_value FROM ({source}) s"
        f") w GROUP BY metric_id, day, owner_id"
    )


def _period_select(*, period: str, keys_sql: str | None) -> str:
    """Week or month buckets from the day buckets inside them, for keys (metric_id, owner_type, owner_id, start),
    or for every day bucket when keys_sql is None (a full rebuild).

    Day rows are found by owner and a start range, which the rollup-by-owner index serves.
    """
    if keys_sql is None:
        bucket = periods.sql_bucket_start("d.start", period, connection.vendor)
        return (
            f"SELECT metric_id, '{period}', bucket, owner_type, owner_id, SUM(n), SUM(total), MIN(minimum), "
            f"MAX(maximum), MAX(newest_value), MAX(last_at), SUM(denominator), %s FROM ("
            f"SELECT d.*, {bucket} AS bucket, FIRST_VALUE(d.last_value) OVER (PARTITION BY d.metric_id, "
            f"d.owner_type, d.owner_id, {bucket} ORDER BY d.last_at DESC, d.last_value DESC) AS newest_value "
            f"FROM metrics_rollup d WHERE d.period = '{periods.DAY}'"
            f") w GROUP BY metric_id, bucket, owner_type, owner_id"
        )
    next_start = periods.sql_next_bucket_start("k.start", period, connection.vendor)
    return (
        f"SELECT metric_id, '{period}', bucket, owner_type, owner_id, SUM(n), SUM(total), MIN(minimum), "
        f"MAX(maximum), MAX(newest_value), MAX(last_at), SUM(denominator), %s FROM ("
        f"SELECT d.*, k.start AS bucket, FIRST_VALUE(d.last_value) OVER (PARTITION BY d.metric_id, d.owner_type, "
        f"d.owner_id, k.start ORDER BY d.last_at DESC, d.last_value DESC) AS newest_value "
        f"FROM ({keys_sql}) k JOIN metrics_rollup d ON d.owner_type = k.owner_type AND d.owner_id = k.owner_id "
        f"AND d.period = '{periods.DAY}' AND d.start >= k.start AND d.start < {next_start} "
        f"AND d.metric_id = k.metric_id"
        f") w GROUP BY metric_id, bucket, owner_type, owner_id"
    )


def _delete_buckets(*, period: str, keys_sql: str) -> str:
    """Delete the buckets named by keys (metric_id, start, owner_type, owner_id), found from the keys through the
    one-per-bucket unique index, so the cost follows the keys and not the size of the rollup table."""
    return (
        f"DELETE FROM metrics_rollup WHERE id IN (SELECT r.id FROM ({keys_sql}) k JOIN metrics_rollup r "
        f"ON r.metric_id = k.metric_id AND r.period = '{period}' AND r.start = k.start "
        f"AND r.owner_type = k.owner_type AND r.owner_id = k.owner_id)"
    )


def run(*, full: bool = False) -> RunResult:
    """Bring rollups up to date with readings; full=True recomputes every bucket from all readings."""
    started = timezone.now()
    vendor = connection.vendor
    now = connection.ops.adapt_datetimefield_value(started)
    with transaction.atomic(), connection.cursor() as cursor:
        _lock(cursor)
        cursor.execute("SELECT MAX(id), COUNT(*) FROM metrics_rollupqueue")
        max_id, queue_rows = cursor.fetchone()
        if max_id is None and not full:
            return RunResult(queue_rows=0, buckets=0, seconds=0.0)
        if vendor == "postgresql" and queue_rows > 100:
            cursor.execute("ANALYZE metrics_rollupqueue")  # fresh statistics, so the planner uses the indexes
        max_id = max_id or 0
        if full:
            person_keys = department_keys = None  # every reading
            cursor.execute("DELETE FROM metrics_rollup")
        else:
            queued = f"FROM metrics_rollupqueue WHERE id <= {int(max_id)}"
            person_keys = f"SELECT DISTINCT metric_id, day, owner_id {queued} AND owner_type = 'p'"
            department_keys = f"SELECT DISTINCT metric_id, day, owner_id {queued} AND owner_type = 'd'"
            # Day buckets: remove the touched ones, then insert what the readings say now.
            day_keys = f"SELECT DISTINCT metric_id, day AS start, owner_type, owner_id {queued}"
            cursor.execute(_delete_buckets(period=periods.DAY, keys_sql=day_keys))
        buckets = 0
        for owner_type, keys in (("p", person_keys), ("d", department_keys)):
            cursor.execute(f"INSERT INTO metrics_rollup ({ROLLUP_COLUMNS}) "
                           f"{_day_select(keys_sql=keys, owner_type=owner_type)}", [now])
            buckets += cursor.rowcount
        for period in (periods.WEEK, periods.MONTH):
            if full:
                keys = None
            else:
                keys = (f"SELECT DISTINCT metric_id, owner_type, owner_id, "
                        f"{periods.sql_bucket_start('day', period, vendor)} AS start {queued}")
                cursor.execute(_delete_buckets(period=period, keys_sql=keys))
            cursor.execute(f"INSERT INTO metrics_rollup ({ROLLUP_COLUMNS}) "
                           f"{_period_select(period=period, keys_sql=keys)}", [now])
            buckets += cursor.rowcount
        if max_id:
            cursor.execute("DELETE FROM metrics_rollupqueue WHERE id <= %s", [max_id])
        finished = timezone.now()
        RollupRun.objects.create(started_at=started, finished_at=finished, full=full, queue_rows=queue_rows,
                                 buckets=buckets)
    result = RunResult(queue_rows=queue_rows, buckets=buckets, seconds=(finished - started).total_seconds())
    log.info("rollup%s: %s queued keys, %s buckets in %.2fs", " (full)" if full else "", queue_rows, buckets,
             result.seconds)
    return result


def queue_metric(*, metric) -> int:
    """Queue every bucket of one metric for recomputation (admin "rebuild"); returns the keys queued."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO metrics_rollupqueue (metric_id, day, owner_type, owner_id, queued_at) "
            "SELECT DISTINCT metric_id, day, 'p', person_id, %s FROM metrics_reading "
            "WHERE metric_id = %s AND person_id IS NOT NULL", [connection.ops.adapt_datetimefield_value(
                timezone.now()), metric.pk])
        queued = cursor.rowcount
        cursor.execute(
            "INSERT INTO metrics_rollupqueue (metric_id, day, owner_type, owner_id, queued_at) "
            "SELECT DISTINCT r.metric_id, r.day, 'd', a.id, %s FROM metrics_reading r "
            "JOIN org_department rd ON rd.id = r.department_id JOIN org_department a ON rd.path LIKE a.path || '%%' "
            "WHERE r.metric_id = %s", [connection.ops.adapt_datetimefield_value(timezone.now()), metric.pk])
        queued += cursor.rowcount
    # Buckets whose readings are all gone would otherwise linger: drop them; the run rebuilds the rest.
    metric.rollups.all().delete()
    return queued


def pending() -> int:
    return RollupQueue.objects.count()
