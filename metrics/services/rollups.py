"""Rolling readings up into day, ISO-week and month buckets, in SQL, touching only what changed.

Readings are the truth; rollups are derived and can always be rebuilt. A run:
  1. takes the rollup lock (one run at a time; a second one waits, then does what is left),
  2. takes the queue of touched (metric, day, owner) keys written with the readings (_claim_queue),
  3. recomputes those day buckets from readings (GROUP BY), then the weeks and months containing them from
     the day buckets, writing each with an upsert, and deletes touched buckets left with no readings,
  4. records the run; all of it in one transaction, the same that took the keys off the queue.
A worker killed mid-run rolls the transaction back: the queue rows are still there for the next run, and
running twice recomputes the same buckets to the same values.
"""

import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from core import periods
from metrics.models import RollupQueue, RollupRun
from org.paths import subtree_sql

log = logging.getLogger(__name__)

LOCK_KEY = 7_301_001  # pg_advisory_xact_lock key of the rollup
CLAIMED = "keel_rollup_claimed"  # a temporary table: the queued keys this run took

STATS = "n, total, minimum, maximum, last_value, last_at, denominator, updated_at"
ROLLUP_COLUMNS = f"metric_id, period, start, owner_type, owner_id, {STATS}"
BUCKET_KEY = "metric_id, owner_type, owner_id, period, start"  # the columns of the one-per-bucket unique index
UPSERT = (f" ON CONFLICT ({BUCKET_KEY}) DO UPDATE SET "
          + ", ".join(f"{column} = excluded.{column}" for column in STATS.split(", ")))
# A week's or month's statistics from its day buckets; last_day finds the day whose last value is the period's.
PERIOD_STATS = ("SUM(d.n) AS n, SUM(d.total) AS total, MIN(d.minimum) AS minimum, MAX(d.maximum) AS maximum, "
                "MAX(d.last_at) AS last_at, SUM(d.denominator) AS denominator, MAX(d.start) AS last_day")


@dataclass
class RunResult:
    queue_rows: int
    buckets: int
    seconds: float


def _lock(cursor) -> None:
    if connection.vendor == "postgresql":
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
    # SQLite: Keel's transactions are IMMEDIATE, so this transaction already holds the only write lock.


def _day_insert(*, keys_sql: str | None, owner_type: str, upsert: bool) -> str:
    """The statement that writes day buckets from readings for the keys in keys_sql (columns metric_id, day,
    owner_id), or for every reading when keys_sql is None (a full rebuild).

    Person buckets group a person's readings; department buckets group the readings of the department and of
    every department below it (a reading's department path starts with the bucket department's path).
    The last value comes from a window over each bucket, newest reading first (ties: the larger value, so
    every run picks the same one).
    """
    prefix = ""
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
                  f"JOIN org_department bucket ON {subtree_sql('rd', 'bucket')}")
    else:
        # The readings of the touched (metric, day) pairs, each with its department's path, are gathered first
        # (one index scan per pair), then matched to the touched buckets above them. Left to itself the planner
        # pairs every bucket with every department below it first and scans the readings once per pair.
        # (MATERIALIZED is PostgreSQL's fence; SQLite only knows the word from 3.35, and Django runs on 3.31.)
        fence = "MATERIALIZED " if connection.vendor == "postgresql" else ""
        prefix = (f"WITH touched AS {fence}(SELECT r.metric_id, r.day, r.value, r.measured_at, "
                  f"r.denominator, rd.path FROM (SELECT DISTINCT metric_id, day FROM ({keys_sql}) kk) p "
                  f"JOIN metrics_reading r ON r.metric_id = p.metric_id AND r.day = p.day "
                  f"JOIN org_department rd ON rd.id = r.department_id) ")
        source = (f"SELECT t.metric_id, t.day, k.owner_id, t.value, t.measured_at, t.denominator "
                  f"FROM touched t JOIN ({keys_sql}) k ON k.metric_id = t.metric_id AND k.day = t.day "
                  f"JOIN org_department bucket ON bucket.id = k.owner_id AND {subtree_sql('t', 'bucket')}")
    return (
        f"INSERT INTO metrics_rollup ({ROLLUP_COLUMNS}) {prefix}"
        f"SELECT metric_id, '{periods.DAY}', day, '{owner_type}', owner_id, COUNT(*), SUM(value), MIN(value), "
        f"MAX(value), MAX(last_value), MAX(measured_at), SUM(denominator), %s FROM ("
        f"SELECT s.*, FIRST_VALUE(value) OVER (PARTITION BY metric_id, day, owner_id "
        f"ORDER BY measured_at DESC, value DESC) AS last_value FROM ({source}) s"
        f") w WHERE 1 = 1 GROUP BY metric_id, day, owner_id{UPSERT if upsert else ''}"
    )


def _period_insert(*, period: str, keys_sql: str | None, upsert: bool) -> str:
    """The statement that writes week or month buckets from the day buckets inside them, for keys (metric_id,
    owner_type, owner_id, start), or for every day bucket when keys_sql is None (a full rebuild).

    Days do not overlap, so a period's last value is the last value of its latest day bucket: it is looked up
    through the unique index rather than picked by a window over every day (which needs a sort of them all).
    """
    if keys_sql is None:
        bucket = periods.sql_bucket_start("d.start", period, connection.vendor)
        grouped = (f"SELECT d.metric_id, d.owner_type, d.owner_id, {bucket} AS start, {PERIOD_STATS} "
                   f"FROM metrics_rollup d WHERE d.period = '{periods.DAY}' "
                   f"GROUP BY d.metric_id, d.owner_type, d.owner_id, {bucket}")
    else:
        next_start = periods.sql_next_bucket_start("k.start", period, connection.vendor)
        grouped = (f"SELECT k.metric_id, k.owner_type, k.owner_id, k.start, {PERIOD_STATS} "
                   f"FROM ({keys_sql}) k JOIN metrics_rollup d ON d.metric_id = k.metric_id "
                   f"AND d.owner_type = k.owner_type AND d.owner_id = k.owner_id AND d.period = '{periods.DAY}' "
                   f"AND d.start >= k.start AND d.start < {next_start} "
                   f"GROUP BY k.metric_id, k.owner_type, k.owner_id, k.start")
    return (
        f"INSERT INTO metrics_rollup ({ROLLUP_COLUMNS}) "
        f"SELECT g.metric_id, '{period}', g.start, g.owner_type, g.owner_id, g.n, g.total, g.minimum, g.maximum, "
        f"latest.last_value, g.last_at, g.denominator, %s FROM ({grouped}) g "
        f"JOIN metrics_rollup latest ON latest.metric_id = g.metric_id AND latest.owner_type = g.owner_type "
        f"AND latest.owner_id = g.owner_id AND latest.period = '{periods.DAY}' AND latest.start = g.last_day "
        f"WHERE 1 = 1{UPSERT if upsert else ''}"
    )


def _delete_stale(*, period: str, keys_sql: str) -> str:
    """Delete the buckets named by keys (metric_id, start, owner_type, owner_id) that this run did not write
    (their readings are gone), found through the one-per-bucket unique index, so the cost follows the keys and
    not the size of the rollup table."""
    return (
        f"DELETE FROM metrics_rollup WHERE id IN (SELECT r.id FROM ({keys_sql}) k JOIN metrics_rollup r "
        f"ON r.metric_id = k.metric_id AND r.owner_type = k.owner_type AND r.owner_id = k.owner_id "
        f"AND r.period = '{period}' AND r.start = k.start AND r.updated_at <> %s)"
    )


def _claim_queue(cursor) -> int:
    """Take the queued keys into CLAIMED, removing them from the queue; returns how many distinct keys.

    Every statement of the run reads the claimed keys, never the queue itself: on PostgreSQL, a transaction
    that wrote readings may commit while the run goes on, and its keys (even with lower ids) must wait whole
    for the next run rather than be half seen by this one. DELETE … RETURNING claims exactly the rows it
    removes. SQLite needs no such care: the run's transaction holds its only write lock.
    """
    columns = "metric_id, day, owner_type, owner_id"
    if connection.vendor == "postgresql":
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {CLAIMED} (metric_id bigint, day date, "
                       f"owner_type varchar(1), owner_id bigint) ON COMMIT DELETE ROWS")
        cursor.execute(f"WITH taken AS (DELETE FROM metrics_rollupqueue RETURNING {columns}) "
                       f"INSERT INTO {CLAIMED} ({columns}) SELECT DISTINCT {columns} FROM taken")
        return cursor.rowcount
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {CLAIMED} (metric_id integer, day date, "
                   f"owner_type varchar(1), owner_id integer)")
    cursor.execute(f"DELETE FROM {CLAIMED}")
    cursor.execute(f"INSERT INTO {CLAIMED} ({columns}) SELECT DISTINCT {columns} FROM metrics_rollupqueue")
    claimed = cursor.rowcount
    cursor.execute("DELETE FROM metrics_rollupqueue")
    return claimed


def run(*, full: bool = False) -> RunResult:
    """Bring rollups up to date with readings; full=True recomputes every bucket from all readings.

    An incremental run writes each touched bucket with an upsert (an existing bucket is updated in place: no
    index entry or foreign-key check changes), then deletes the touched buckets it did not write, which only
    happens when readings were deleted, so that statement runs only when the counts say so.
    """
    started = timezone.now()
    vendor = connection.vendor
    now = connection.ops.adapt_datetimefield_value(started)
    with transaction.atomic(), connection.cursor() as cursor:
        _lock(cursor)
        queue_rows = _claim_queue(cursor)
        if not queue_rows and not full:
            return RunResult(queue_rows=0, buckets=0, seconds=0.0)
        if vendor == "postgresql":
            cursor.execute("SET LOCAL work_mem = '64MB'")  # sorts and hashes of a run stay in memory
            if queue_rows > 100:
                cursor.execute(f"ANALYZE {CLAIMED}")  # fresh row estimates for the planner
        queued = f"FROM {CLAIMED} WHERE 1 = 1"
        keys = {periods.DAY: f"SELECT DISTINCT metric_id, owner_type, owner_id, day AS start {queued}"}
        for period in (periods.WEEK, periods.MONTH):
            # In index order, so that the day buckets come out of the index grouped by period, with no sort.
            keys[period] = (f"SELECT DISTINCT metric_id, owner_type, owner_id, "
                            f"{periods.sql_bucket_start('day', period, vendor)} AS start {queued} "
                            f"ORDER BY metric_id, owner_type, owner_id, start")
        if full:
            cursor.execute("DELETE FROM metrics_rollup")
            expected = {}
        else:
            cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM ({keys[period]}) k)"
                                                 for period in periods.PERIODS))
            expected = dict(zip(periods.PERIODS, cursor.fetchone(), strict=True))
        buckets = 0
        written = 0
        for owner_type in ("p", "d"):
            owner_keys = None if full else (f"SELECT DISTINCT metric_id, day, owner_id {queued} "
                                            f"AND owner_type = '{owner_type}'")
            cursor.execute(_day_insert(keys_sql=owner_keys, owner_type=owner_type, upsert=not full), [now])
            written += cursor.rowcount
        buckets += written
        if written < expected.get(periods.DAY, 0):
            cursor.execute(_delete_stale(period=periods.DAY, keys_sql=keys[periods.DAY]), [now])
        for period in (periods.WEEK, periods.MONTH):
            cursor.execute(_period_insert(period=period, keys_sql=None if full else keys[period], upsert=not full),
                           [now])
            buckets += cursor.rowcount
            if cursor.rowcount < expected.get(period, 0):
                cursor.execute(_delete_stale(period=period, keys_sql=keys[period]), [now])
        cursor.execute(f"DELETE FROM {CLAIMED}")
        finished = timezone.now()
        RollupRun.objects.create(started_at=started, finished_at=finished, full=full, queue_rows=queue_rows,
                                 buckets=buckets)
    result = RunResult(queue_rows=queue_rows, buckets=buckets, seconds=(finished - started).total_seconds())
    log.info("rollup%s: %s queued keys, %s buckets in %.2fs", " (full)" if full else "", queue_rows, buckets,
             result.seconds)
    return result


def queue_readings(*, where: str, params: list) -> int:
    """Queue the buckets of the readings matching `where` (SQL on metrics_reading r): each person's, and each
    department's with every department above it. Returns the keys queued."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO metrics_rollupqueue (metric_id, day, owner_type, owner_id, queued_at) "
            f"SELECT DISTINCT r.metric_id, r.day, 'p', r.person_id, %s FROM metrics_reading r "
            f"WHERE r.person_id IS NOT NULL AND ({where})", [now, *params])
        queued = cursor.rowcount
        cursor.execute(
            f"INSERT INTO metrics_rollupqueue (metric_id, day, owner_type, owner_id, queued_at) "
            f"SELECT DISTINCT r.metric_id, r.day, 'd', a.id, %s FROM metrics_reading r "
            f"JOIN org_department rd ON rd.id = r.department_id JOIN org_department a ON {subtree_sql('rd', 'a')} "
            f"WHERE {where}", [now, *params])
        return queued + cursor.rowcount


def queue_metric(*, metric) -> int:
    """Queue every bucket of one metric for recomputation (admin "rebuild"); returns the keys queued."""
    queued = queue_readings(where="r.metric_id = %s", params=[metric.pk])
    # Buckets whose readings are all gone would otherwise linger: drop them; the run rebuilds the rest.
    metric.rollups.all().delete()
    return queued


def pending() -> int:
    return RollupQueue.objects.count()
