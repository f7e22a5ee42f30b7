"""Rolling readings up into day, ISO-week and month buckets, in SQL, touching only what changed.

Readings are the truth; rollups are derived and can always be rebuilt. A run:
  1. takes the rollup lock (one run at a time; a second one waits, then does what is left),
  2. takes the queue of touched (metric, day, owner) keys written with the readings (_claim_queue),
  3. recomputes those day buckets from readings (GROUP BY), then the weeks and months containing them from
     the day buckets, writing each with an upsert, and deletes touched buckets left with no readings,
  4. records the run; all of it in one transaction, the same that took the keys off the queue.
A worker killed mid-run rolls the transaction back: the queue rows are still there for the next run, and
running twice recomputes the same buckets to the same values.

One bucket that cannot be computed (a sum out of range, from a reading stored before readings were bounded)
must not stop the organization: step 3 runs in a savepoint, and when it fails the run starts again metric by
metric, and within a failing metric key by key, each in its own savepoint. Every key that still fails is
recorded as a RollupFailure (which bucket, and why) for admins, and queued again, so each later run retries it
until the reading at fault is corrected; every other bucket is computed as usual.
"""

import logging
from dataclasses import dataclass
from datetime import date

from django.db import DatabaseError, DataError, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from core import best_effort, periods
from metrics.models import Metric, OwnerType, Rollup, RollupFailure, RollupQueue, RollupRun
from org.paths import subtree_sql

log = logging.getLogger(__name__)

LOCK_KEY = 7_301_001  # pg_advisory_xact_lock key of the rollup
SYNC_KEYS = 2_000  # queued keys roll_up_now_if_free() rolls up in the request; more is the worker's
CLAIMED = "keel_rollup_claimed"  # a temporary table: the queued keys this run computes now
PENDING = "keel_rollup_pending"  # a temporary table: every key of a run that goes one metric (or key) at a time
KEY_COLUMNS = "metric_id, day, owner_type, owner_id"
ROLLUP_COLUMNS = (
    "metric_id, period, start, owner_type, owner_id, n, total, minimum, maximum, last_value, last_at, "
    "denominator, updated_at"
)
# What a database raises for a bucket it cannot hold: PostgreSQL's "value out of range: overflow" (DataError);
# SQLite stores an overflowing sum as infinity, which the rollup's finite-statistics constraint refuses.
BUCKET_ERRORS = (DataError, IntegrityError)

# Each bucket is updated in place when it exists, through the one-per-bucket unique index.
UPSERT = """
ON CONFLICT (metric_id, owner_type, owner_id, period, start) DO UPDATE SET
    n = excluded.n, total = excluded.total, minimum = excluded.minimum, maximum = excluded.maximum,
    last_value = excluded.last_value, last_at = excluded.last_at, denominator = excluded.denominator,
    updated_at = excluded.updated_at"""

# The claimed keys as day-statement input, for one owner type: (metric_id, day, owner_id).
CLAIMED_DAYS_OF_OWNER = f"""
SELECT DISTINCT metric_id, day, owner_id FROM {CLAIMED} WHERE owner_type = '{{owner_type}}'"""

# The claimed keys as buckets of a period: (metric_id, owner_type, owner_id, start). For weeks and months, in
# index order, so that the day buckets come out of the index grouped by period, with no sort.
CLAIMED_BUCKETS = f"""
SELECT DISTINCT metric_id, owner_type, owner_id, {{start}} AS start FROM {CLAIMED}
ORDER BY metric_id, owner_type, owner_id, start"""

# Sources of the day statement: one row per (reading, bucket owner) with metric_id, day, owner_id, value,
# measured_at, denominator. A person bucket groups the person's readings; a department bucket groups the readings
# of the department and of every department below it (a reading's department path starts with the bucket's).
ALL_PERSON_READINGS = """
SELECT r.metric_id, r.day, r.person_id AS owner_id, r.value, r.measured_at, r.denominator
FROM metrics_reading r
WHERE r.person_id IS NOT NULL"""

TOUCHED_PERSON_READINGS = """
SELECT r.metric_id, r.day, r.person_id AS owner_id, r.value, r.measured_at, r.denominator
FROM metrics_reading r
JOIN ({keys}) k ON k.metric_id = r.metric_id AND k.day = r.day AND k.owner_id = r.person_id"""

ALL_DEPARTMENT_READINGS = f"""
SELECT r.metric_id, r.day, bucket.id AS owner_id, r.value, r.measured_at, r.denominator
FROM metrics_reading r
JOIN org_department rd ON rd.id = r.department_id
JOIN org_department bucket ON {subtree_sql("rd", "bucket")}"""

# The readings of the touched (metric, day) pairs, each with its department's path, are gathered first (one
# index scan per pair), then matched to the touched buckets above them. Left to itself the planner pairs every
# bucket with every department below it first and scans the readings once per pair. (MATERIALIZED is
# PostgreSQL's fence; SQLite only knows the word from 3.35, and Django runs on 3.31.)
TOUCHED_READINGS = """
WITH touched AS {fence}(
    SELECT r.metric_id, r.day, r.value, r.measured_at, r.denominator, rd.path
    FROM (SELECT DISTINCT metric_id, day FROM ({keys}) kk) p
    JOIN metrics_reading r ON r.metric_id = p.metric_id AND r.day = p.day
    JOIN org_department rd ON rd.id = r.department_id
)"""

TOUCHED_DEPARTMENT_READINGS = f"""
SELECT t.metric_id, t.day, k.owner_id, t.value, t.measured_at, t.denominator
FROM touched t
JOIN ({{keys}}) k ON k.metric_id = t.metric_id AND k.day = t.day
JOIN org_department bucket ON bucket.id = k.owner_id AND {subtree_sql("t", "bucket")}"""

# Day buckets from readings. The last value comes from a window over each bucket, newest reading first (ties:
# the larger value, so every run picks the same one).
DAY_INSERT = """
INSERT INTO metrics_rollup ({columns})
{prelude}
SELECT metric_id, '{day}', day, '{owner_type}', owner_id, COUNT(*), SUM(value), MIN(value), MAX(value), MAX(last_value),
       MAX(measured_at), SUM(denominator), %s
FROM (
    SELECT s.*, FIRST_VALUE(value) OVER (
        PARTITION BY metric_id, day, owner_id ORDER BY measured_at DESC, value DESC) AS last_value
    FROM ({readings}) s
) w
GROUP BY metric_id, day, owner_id
{upsert}"""

# A week's or month's statistics from its day buckets; last_day finds the day whose last value is the period's.
PERIOD_STATS = """SUM(d.n) AS n, SUM(d.total) AS total, MIN(d.minimum) AS minimum, MAX(d.maximum) AS maximum,
    MAX(d.last_at) AS last_at, SUM(d.denominator) AS denominator, MAX(d.start) AS last_day"""

ALL_PERIOD_GROUPS = """
SELECT d.metric_id, d.owner_type, d.owner_id, {bucket} AS start, {stats}
FROM metrics_rollup d
WHERE d.period = '{day}'
GROUP BY d.metric_id, d.owner_type, d.owner_id, {bucket}"""

TOUCHED_PERIOD_GROUPS = """
SELECT k.metric_id, k.owner_type, k.owner_id, k.start, {stats}
FROM ({keys}) k
JOIN metrics_rollup d ON d.metric_id = k.metric_id AND d.owner_type = k.owner_type AND d.owner_id = k.owner_id
    AND d.period = '{day}' AND d.start >= k.start AND d.start < {next_start}
GROUP BY k.metric_id, k.owner_type, k.owner_id, k.start"""

# Week or month buckets from the day buckets inside them. Days do not overlap, so a period's last value is the
# last value of its latest day bucket: looked up through the unique index rather than picked by a window over
# every day (which needs a sort of them all).
PERIOD_INSERT = """
INSERT INTO metrics_rollup ({columns})
SELECT g.metric_id, '{period}', g.start, g.owner_type, g.owner_id, g.n, g.total, g.minimum, g.maximum,
       latest.last_value, g.last_at, g.denominator, %s
FROM ({groups}) g
JOIN metrics_rollup latest ON latest.metric_id = g.metric_id AND latest.owner_type = g.owner_type
    AND latest.owner_id = g.owner_id
WHERE latest.period = '{day}' AND latest.start = g.last_day
{upsert}"""

# How many buckets the claimed keys name, per period: fewer written means some lost all their readings.
EXPECTED = """
SELECT (SELECT COUNT(*) FROM ({day}) k), (SELECT COUNT(*) FROM ({week}) k), (SELECT COUNT(*) FROM ({month}) k)"""

# The buckets named by keys that this run did not write (their readings are gone), found through the
# one-per-bucket unique index, so the cost follows the keys and not the size of the rollup table.
DELETE_STALE = """
DELETE FROM metrics_rollup WHERE id IN (
    SELECT r.id FROM ({keys}) k
    JOIN metrics_rollup r ON r.metric_id = k.metric_id AND r.owner_type = k.owner_type
        AND r.owner_id = k.owner_id AND r.period = '{period}' AND r.start = k.start
    WHERE r.updated_at <> %s
)"""

# Every key of every reading, for a full rebuild that has to go one metric at a time.
EVERY_KEY = f"""
INSERT INTO {CLAIMED} ({KEY_COLUMNS})
SELECT DISTINCT r.metric_id, r.day, %s, r.person_id FROM metrics_reading r WHERE r.person_id IS NOT NULL
UNION
SELECT DISTINCT r.metric_id, r.day, %s, a.id
FROM metrics_reading r
JOIN org_department rd ON rd.id = r.department_id
JOIN org_department a ON {subtree_sql("rd", "a")}"""

# Failures of keys this run computed are over: the reading at fault was corrected or deleted.
RESOLVE_FAILURES = """
DELETE FROM metrics_rollupfailure WHERE EXISTS (
    SELECT 1 FROM {done} c
    WHERE c.metric_id = metrics_rollupfailure.metric_id AND c.day = metrics_rollupfailure.day
        AND c.owner_type = metrics_rollupfailure.owner_type AND c.owner_id = metrics_rollupfailure.owner_id
)"""

# The buckets of readings chosen by {readings} (ids of metrics_reading): each person's, and each department's
# with every department above it.
QUEUE_READINGS = f"""
INSERT INTO metrics_rollupqueue (metric_id, day, owner_type, owner_id, queued_at)
SELECT DISTINCT r.metric_id, r.day, '{OwnerType.PERSON.value}', r.person_id, %s
FROM metrics_reading r
WHERE r.person_id IS NOT NULL AND r.id IN ({{readings}})
UNION ALL
SELECT DISTINCT r.metric_id, r.day, '{OwnerType.DEPARTMENT.value}', a.id, %s
FROM metrics_reading r
JOIN org_department rd ON rd.id = r.department_id
JOIN org_department a ON {subtree_sql("rd", "a")}
WHERE r.id IN ({{readings}})"""


@dataclass
class RunResult:
    queue_rows: int
    buckets: int
    seconds: float
    failed: int = 0


@dataclass(frozen=True)
class Failure:
    key: tuple  # (metric_id, day, owner_type, owner_id)
    period: str
    error: str


class BucketFailed(Exception):
    """A statement of the computation failed: `period` says which level (day, week or month)."""

    def __init__(self, period: str, error: Exception):
        super().__init__(f"{period}: {error}")
        self.period = period
        self.error = error


def _date(value) -> date:
    """A day from a raw cursor: SQLite hands back text."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def _lock(cursor, *, blocking: bool = True) -> bool:
    """Take the rollup lock until the transaction ends; blocking=False takes it only if it is free at once and
    returns whether it did."""
    if connection.vendor == "postgresql":
        if blocking:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
        return cursor.fetchone()[0]
    # SQLite: Keel's transactions are IMMEDIATE, so this transaction already holds the only write lock.
    return True


def _day_insert(*, owner_type: str, full: bool) -> str:
    """The statement writing the day buckets of one owner type ("p" or "d"): for the claimed keys, or (full)
    for every reading. Its one parameter is the run's time."""
    fence = "MATERIALIZED " if connection.vendor == "postgresql" else ""
    keys = CLAIMED_DAYS_OF_OWNER.format(owner_type=owner_type)
    prelude = ""
    if full:
        readings = ALL_PERSON_READINGS if owner_type == Rollup.PERSON else ALL_DEPARTMENT_READINGS
    elif owner_type == Rollup.PERSON:
        readings = TOUCHED_PERSON_READINGS.format(keys=keys)
    else:
        prelude = TOUCHED_READINGS.format(fence=fence, keys=keys)
        readings = TOUCHED_DEPARTMENT_READINGS.format(keys=keys)
    return DAY_INSERT.format(
        columns=ROLLUP_COLUMNS,
        prelude=prelude,
        day=periods.DAY,
        owner_type=owner_type,
        readings=readings,
        upsert="" if full else UPSERT,
    )


def _period_insert(*, period: str, keys: str | None) -> str:
    """The statement writing week or month buckets from their day buckets: for keys (metric_id, owner_type,
    owner_id, start), or for every day bucket when keys is None (a full rebuild)."""
    vendor = connection.vendor
    if keys is None:
        groups = ALL_PERIOD_GROUPS.format(
            bucket=periods.sql_bucket_start("d.start", period, vendor), stats=PERIOD_STATS, day=periods.DAY
        )
    else:
        groups = TOUCHED_PERIOD_GROUPS.format(
            keys=keys,
            stats=PERIOD_STATS,
            day=periods.DAY,
            next_start=periods.sql_next_bucket_start("k.start", period, vendor),
        )
    return PERIOD_INSERT.format(
        columns=ROLLUP_COLUMNS, period=period, groups=groups, day=periods.DAY, upsert="" if keys is None else UPSERT
    )


def _claimed_buckets(period: str) -> str:
    return CLAIMED_BUCKETS.format(start=periods.sql_bucket_start("day", period, connection.vendor))


def _create_key_table(cursor, name: str) -> None:
    """A temporary table of keys, empty; on PostgreSQL emptied again at commit."""
    if connection.vendor == "postgresql":
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {name} (metric_id bigint, day date, "
            f"owner_type varchar(1), owner_id bigint) ON COMMIT DELETE ROWS"
        )
    else:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {name} (metric_id integer, day date, "
            f"owner_type varchar(1), owner_id integer)"
        )
    cursor.execute(f"DELETE FROM {name}")


def _claim_queue(cursor) -> int:
    """Take the queued keys into CLAIMED, removing them from the queue; returns how many distinct keys.

    Every statement of the run reads the claimed keys, never the queue itself: on PostgreSQL, a transaction
    that wrote readings may commit while the run goes on, and its keys (even with lower ids) must wait whole
    for the next run rather than be half seen by this one. DELETE … RETURNING claims exactly the rows it
    removes. SQLite needs no such care: the run's transaction holds its only write lock.
    """
    _create_key_table(cursor, CLAIMED)
    if connection.vendor == "postgresql":
        cursor.execute(f"""
            WITH taken AS (DELETE FROM metrics_rollupqueue RETURNING {KEY_COLUMNS})
            INSERT INTO {CLAIMED} ({KEY_COLUMNS}) SELECT DISTINCT {KEY_COLUMNS} FROM taken""")
        return cursor.rowcount
    cursor.execute(f"INSERT INTO {CLAIMED} ({KEY_COLUMNS}) SELECT DISTINCT {KEY_COLUMNS} FROM metrics_rollupqueue")
    claimed = cursor.rowcount
    cursor.execute("DELETE FROM metrics_rollupqueue")
    return claimed


def _compute(cursor, *, full: bool, now) -> int:
    """Write the buckets of the claimed keys (or of every reading, when full); returns how many were written.

    An incremental computation writes each touched bucket with an upsert (an existing bucket is updated in
    place: no index entry or foreign-key check changes), then deletes the touched buckets it did not write,
    which only happens when readings were deleted, so that statement runs only when the counts say so.
    Raises BucketFailed, naming the period whose statement failed, when the database cannot hold a bucket.
    """
    keys = {period: _claimed_buckets(period) for period in periods.PERIODS}
    expected = {}
    if not full:
        cursor.execute(EXPECTED.format(day=keys[periods.DAY], week=keys[periods.WEEK], month=keys[periods.MONTH]))
        expected = dict(zip(periods.PERIODS, cursor.fetchone(), strict=True))
    written = 0
    try:
        for owner_type in (Rollup.PERSON, Rollup.DEPARTMENT):
            cursor.execute(_day_insert(owner_type=owner_type, full=full), [now])
            written += cursor.rowcount
    except BUCKET_ERRORS as error:
        raise BucketFailed(periods.DAY, error) from error
    if written < expected.get(periods.DAY, 0):
        cursor.execute(DELETE_STALE.format(keys=keys[periods.DAY], period=periods.DAY), [now])
    buckets = written
    for period in (periods.WEEK, periods.MONTH):
        try:
            cursor.execute(_period_insert(period=period, keys=None if full else keys[period]), [now])
        except BUCKET_ERRORS as error:
            raise BucketFailed(period, error) from error
        buckets += cursor.rowcount
        if cursor.rowcount < expected.get(period, 0):
            cursor.execute(DELETE_STALE.format(keys=keys[period], period=period), [now])
    return buckets


def _compute_in_savepoint(cursor, *, full: bool, now) -> int:
    with transaction.atomic():
        return _compute(cursor, full=full, now=now)


def _compute_one_at_a_time(cursor, *, now) -> tuple[int, list[Failure]]:
    """Compute the claimed keys one metric at a time, and the keys of a failing metric one by one, each in a
    savepoint, so that only the keys that cannot be computed are left out. Leaves every claimed key in PENDING
    and the failing ones in the returned list."""
    _create_key_table(cursor, PENDING)
    cursor.execute(f"INSERT INTO {PENDING} ({KEY_COLUMNS}) SELECT {KEY_COLUMNS} FROM {CLAIMED}")
    cursor.execute(f"SELECT DISTINCT metric_id FROM {PENDING} ORDER BY metric_id")
    metric_ids = [metric_id for (metric_id,) in cursor.fetchall()]
    buckets = 0
    failures = []
    for metric_id in metric_ids:
        cursor.execute(f"DELETE FROM {CLAIMED}")
        cursor.execute(
            f"INSERT INTO {CLAIMED} ({KEY_COLUMNS}) SELECT {KEY_COLUMNS} FROM {PENDING} WHERE metric_id = %s",
            [metric_id],
        )
        try:
            buckets += _compute_in_savepoint(cursor, full=False, now=now)
            continue
        except BucketFailed:
            pass
        cursor.execute(
            f"SELECT {KEY_COLUMNS} FROM {PENDING} WHERE metric_id = %s ORDER BY day, owner_type, owner_id", [metric_id]
        )
        for key in cursor.fetchall():
            cursor.execute(f"DELETE FROM {CLAIMED}")
            cursor.execute(f"INSERT INTO {CLAIMED} ({KEY_COLUMNS}) VALUES (%s, %s, %s, %s)", list(key))
            try:
                buckets += _compute_in_savepoint(cursor, full=False, now=now)
            except BucketFailed as failed:
                failures.append(Failure(key=tuple(key), period=failed.period, error=str(failed.error).strip()))
    return buckets, failures


def _record_failures(failures: list[Failure], *, started) -> None:
    """Keep each failing key for admins (one row per key, counting attempts) and queue it again for the next
    run. The keys were claimed from the queue, so without this they would be forgotten with their bucket wrong."""
    for failure in failures:
        metric_id, day, owner_type, owner_id = failure.key
        day = _date(day)
        key = {"metric_id": metric_id, "day": day, "owner_type": owner_type, "owner_id": owner_id}
        updated = RollupFailure.objects.filter(**key).update(
            period=failure.period, error=failure.error, last_failed_at=started, attempts=F("attempts") + 1
        )
        if not updated:
            RollupFailure.objects.create(
                **key, period=failure.period, error=failure.error, first_failed_at=started, last_failed_at=started
            )
    RollupQueue.objects.bulk_create(
        [RollupQueue(metric_id=f.key[0], day=_date(f.key[1]), owner_type=f.key[2], owner_id=f.key[3]) for f in failures]
    )
    for failure in failures:
        log.error(
            "rollup: cannot compute the %s bucket of metric %s, %s, owner %s%s: %s",
            failure.period,
            failure.key[0],
            failure.key[1],
            failure.key[2],
            failure.key[3],
            failure.error,
        )


def run(*, full: bool = False, blocking: bool = True) -> RunResult | None:
    """Bring rollups up to date with readings; full=True recomputes every bucket from all readings.

    A key whose buckets the database cannot hold is left out, recorded as a RollupFailure and queued again
    (see the module's docstring); result.failed counts such keys. Raises nothing for them.
    blocking=False: when another run holds the rollup lock, return None at once instead of waiting for it.
    """
    started = timezone.now()
    now = connection.ops.adapt_datetimefield_value(started)
    failures: list[Failure] = []
    with transaction.atomic(), connection.cursor() as cursor:
        if not _lock(cursor, blocking=blocking):
            return None
        queue_rows = _claim_queue(cursor)
        if not queue_rows and not full:
            return RunResult(queue_rows=0, buckets=0, seconds=0.0)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL work_mem = '64MB'")  # sorts and hashes of a run stay in memory
            if queue_rows > 100:
                cursor.execute(f"ANALYZE {CLAIMED}")  # fresh row estimates for the planner
        if full:
            cursor.execute("DELETE FROM metrics_rollup")
        one_at_a_time = False
        try:
            buckets = _compute_in_savepoint(cursor, full=full, now=now)
        except BucketFailed as failed:
            one_at_a_time = True
            log.warning("rollup: %s; computing one metric at a time", failed)
            if full:  # every reading's keys, to be computed like queued ones
                _create_key_table(cursor, CLAIMED)
                cursor.execute(EVERY_KEY, [Rollup.PERSON, Rollup.DEPARTMENT])
            buckets, failures = _compute_one_at_a_time(cursor, now=now)
            for failure in failures:
                cursor.execute(
                    f"DELETE FROM {PENDING} WHERE metric_id = %s AND day = %s AND owner_type = %s AND owner_id = %s",
                    list(failure.key),
                )
        if one_at_a_time:
            cursor.execute(RESOLVE_FAILURES.format(done=PENDING))
        elif full:
            cursor.execute("DELETE FROM metrics_rollupfailure")
        else:
            cursor.execute(RESOLVE_FAILURES.format(done=CLAIMED))
        _record_failures(failures, started=started)
        cursor.execute(f"DELETE FROM {CLAIMED}")
        finished = timezone.now()
        RollupRun.objects.create(
            started_at=started,
            finished_at=finished,
            full=full,
            queue_rows=queue_rows,
            buckets=buckets,
            failed=len(failures),
        )
    result = RunResult(
        queue_rows=queue_rows, buckets=buckets, seconds=(finished - started).total_seconds(), failed=len(failures)
    )
    log.info(
        "rollup%s: %s queued keys, %s buckets%s in %.2fs",
        " (full)" if full else "",
        queue_rows,
        buckets,
        f", {len(failures)} failed" if failures else "",
        result.seconds,
    )
    return result


def roll_up_now_if_free() -> bool:
    """Roll up the queued buckets in this process now if no other run holds the rollup lock and the queue is short
    (at most SYNC_KEYS keys, a few tens of milliseconds); otherwise nudge the worker. For whoever has just written
    readings and shows them next (the reading form, an import, the API): True when rolled up here.

    Never waits behind another run (a full rebuild takes minutes) and never fails the caller: a database error is
    logged and left to the worker. Inside a transaction it runs once the transaction commits (the readings must be
    visible to the run) and returns False. On SQLite the run's transaction is the lock: it rolls up here.
    """
    if connection.in_atomic_block:
        transaction.on_commit(_roll_up_now_or_nudge)
        return False
    return _roll_up_now_or_nudge()


def _roll_up_now_or_nudge() -> bool:
    try:
        if RollupQueue.objects.all()[: SYNC_KEYS + 1].count() <= SYNC_KEYS and run(blocking=False) is not None:
            return True
    except DatabaseError as error:
        log.warning("rollup in the request failed, left to the worker: %s: %s", type(error).__name__, error)
    _nudge_worker()
    return False


def _nudge_worker() -> None:
    from metrics.tasks import run_rollups

    best_effort.enqueue(run_rollups)


def queue_readings(*, ids: list[int]) -> int:
    """Queue the buckets of the readings with these ids: each person's, and each department's with every
    department above it. Returns the keys queued."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(QUEUE_READINGS.format(readings=placeholders), [now, *ids, now, *ids])
        return cursor.rowcount


def queue_metric(*, metric: Metric) -> int:
    """Queue every bucket of one metric for recomputation (admin "rebuild"); returns the keys queued."""
    readings = "SELECT id FROM metrics_reading WHERE metric_id = %s"
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(QUEUE_READINGS.format(readings=readings), [now, metric.pk, now, metric.pk])
        queued = cursor.rowcount
    # Buckets whose readings are all gone would otherwise linger: drop them; the run rebuilds the rest.
    metric.rollups.all().delete()
    return queued


def pending() -> int:
    return RollupQueue.objects.count()
