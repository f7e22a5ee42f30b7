"""Rolling readings up into day, ISO-week and month buckets, in SQL, touching only what changed.

Readings are the truth; rollups are derived and can always be rebuilt. A run:
  1. takes the rollup lock (one run at a time; a second one waits, then does what is left),
  2. takes the queue of touched (metric, day, owner) keys written with the readings (_claim_queue),
  3. recomputes those day buckets from readings (GROUP BY), then the weeks and months containing them from
     the day buckets, writing each with an upsert, and deletes touched buckets left with no readings,
  4. records the run; all of it in one transaction, the same that took the keys off the queue.
A department's buckets add up the readings of its whole subtree in two stages: per (metric, day, department of
the reading) first, then into every department at or above it through the tree's closure (org's
DepartmentAncestor). A full rebuild computes every bucket in one statement; on PostgreSQL into a fresh table that
gets its indexes afterwards and replaces metrics_rollup (see _rebuild).
A worker killed mid-run rolls the transaction back: the queue rows are still there for the next run, and
running twice recomputes the same buckets to the same values.

One bucket that cannot be computed (a sum out of range, from a reading stored before readings were bounded)
must not stop the organization: step 3 runs in a savepoint, and when it fails the run starts again metric by
metric, and within a failing metric key by key, each in its own savepoint. Every key that still fails is
recorded as a RollupFailure (which bucket, and why) for admins, and queued again, so each later run retries it
until the reading at fault is corrected; every other bucket is computed as usual.
"""

import logging
import re
import time
from dataclasses import dataclass
from datetime import date

from django.db import DatabaseError, DataError, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from core import best_effort, periods
from metrics.models import Metric, OwnerType, Rollup, RollupFailure, RollupQueue, RollupRun
from org.models import sync_department_ancestors
from org.paths import ids_on_path

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

# Every statement below aggregates rows of statistics in the same columns: readings (one row each: n 1, total,
# minimum, maximum and last value the reading's value, last_at its time), or buckets already computed. The last
# value is the one of the newest reading (ties: the larger value, so every run picks the same one).
READING_STATS = ("value", "measured_at", "denominator")
BUCKET_STATS = ("n", "total", "minimum", "maximum", "last_at", "last_value", "denominator")

# Day buckets are computed in two stages. A person bucket groups the person's readings. A department bucket
# groups the readings of the department and of every department below it: readings are first added up per
# (metric, day, department of the reading), the "leaf" partials, and those are then added up into every
# department at or above theirs through the tree's closure (org_departmentancestor), an equi-join with a few
# pairs per department, instead of pairing each reading with every department above it.
PERSON_READINGS = """
SELECT r.metric_id, r.day, r.person_id AS owner_id, r.value, r.measured_at, r.denominator
FROM metrics_reading r
WHERE r.person_id IS NOT NULL"""

TOUCHED_PERSON_READINGS = """
SELECT r.metric_id, r.day, r.person_id AS owner_id, r.value, r.measured_at, r.denominator
FROM metrics_reading r
JOIN ({keys}) k ON k.metric_id = r.metric_id AND k.day = r.day AND k.owner_id = r.person_id"""

LEAF_READINGS = """
SELECT r.metric_id, r.day, r.department_id, r.value, r.measured_at, r.denominator
FROM metrics_reading r"""

# The readings of the touched (metric, day) pairs: one index scan (metrics_reading_by_metric_day) per pair.
TOUCHED_LEAF_READINGS = """
SELECT r.metric_id, r.day, r.department_id, r.value, r.measured_at, r.denominator
FROM (SELECT DISTINCT metric_id, day FROM ({keys}) kk) p
JOIN metrics_reading r ON r.metric_id = p.metric_id AND r.day = p.day"""

# Leaf partials (metric_id, day, department_id, statistics…) carried to each department at or above theirs.
LEAVES_UP = """
SELECT l.metric_id, l.day, a.ancestor_id AS owner_id, {stats}
FROM ({leaves}) l
JOIN org_departmentancestor a ON a.department_id = l.department_id"""

TOUCHED_LEAVES_UP = """
SELECT l.metric_id, l.day, a.ancestor_id AS owner_id, {stats}
FROM ({leaves}) l
JOIN org_departmentancestor a ON a.department_id = l.department_id
JOIN ({keys}) k ON k.metric_id = l.metric_id AND k.day = l.day AND k.owner_id = a.ancestor_id"""

# A touched day bucket, written in place when it exists (upsert), in the order of the unique index.
DAY_INSERT = """
INSERT INTO metrics_rollup ({columns})
SELECT metric_id, '{day}', day, '{owner_type}', owner_id, n, total, minimum, maximum, last_value, last_at,
       denominator, %s
FROM ({buckets}) b
ORDER BY metric_id, owner_id, day
{upsert}"""

# A full rebuild: every bucket, in one statement. Each person's and each department's day buckets are computed
# once (person_days; department_days from the leaf partials, through the closure); weeks and months add them up.
# On PostgreSQL each part (one period, one owner type) is written sorted by metric, owner and start, so that the
# days of one owner's week or month, which the incremental run and the dashboards read through the unique index,
# share a few pages instead of one page each. Not one sort in the unique index's order: PostgreSQL 15 took as
# long to sort the 1.7 million rows of 1,000,000 readings that way as to compute them, while sorting each part
# on by-value columns costs a fraction.
FULL_INSERT = """
INSERT INTO {target} ({columns})
WITH person_days AS ({person_days}), department_days AS ({department_days})
{rows}"""

# A full rebuild's rows of one period and owner type, in the order of ROLLUP_COLUMNS.
FULL_ROWS = """
SELECT metric_id, '{period}' AS period, day AS start, '{owner_type}' AS owner_type, owner_id, n, total, minimum,
       maximum, last_value, last_at, denominator, %s AS updated_at
FROM ({buckets}) b{order}"""

FRESH = "keel_rollup_fresh"  # PostgreSQL: the table a full rebuild fills, then swaps in for metrics_rollup

# A week's or month's statistics from its day buckets; last_day finds the day whose last value is the period's.
PERIOD_STATS = """SUM(d.n) AS n, SUM(d.total) AS total, MIN(d.minimum) AS minimum, MAX(d.maximum) AS maximum,
    MAX(d.last_at) AS last_at, SUM(d.denominator) AS denominator, MAX(d.start) AS last_day"""

TOUCHED_PERIOD_GROUPS = """
SELECT k.metric_id, k.owner_type, k.owner_id, k.start, {stats}
FROM ({keys}) k
JOIN metrics_rollup d ON d.metric_id = k.metric_id AND d.owner_type = k.owner_type AND d.owner_id = k.owner_id
    AND d.period = '{day}' AND d.start >= k.start AND d.start < {next_start}
GROUP BY k.metric_id, k.owner_type, k.owner_id, k.start"""

# Week or month buckets of the claimed keys from the day buckets inside them. Days do not overlap, so a period's
# last value is the last value of its latest day bucket: looked up through the unique index rather than picked by
# a window over every day (which needs a sort of them all).
PERIOD_INSERT = """
INSERT INTO metrics_rollup ({columns})
SELECT g.metric_id, '{period}', g.start, g.owner_type, g.owner_id, g.n, g.total, g.minimum, g.maximum,
       latest.last_value, g.last_at, g.denominator, %s
FROM ({groups}) g
JOIN metrics_rollup latest ON latest.metric_id = g.metric_id AND latest.owner_type = g.owner_type
    AND latest.owner_id = g.owner_id
WHERE latest.period = '{day}' AND latest.start = g.last_day
ORDER BY g.metric_id, g.owner_type, g.owner_id, g.start
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
SELECT DISTINCT r.metric_id, r.day, %s, a.ancestor_id
FROM metrics_reading r
JOIN org_departmentancestor a ON a.department_id = r.department_id"""

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
SELECT DISTINCT r.metric_id, r.day, '{OwnerType.DEPARTMENT.value}', a.ancestor_id, %s
FROM metrics_reading r
JOIN org_departmentancestor a ON a.department_id = r.department_id
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


def _aggregate(source: str, group: dict[str, str], *, readings: bool) -> str:
    """SELECT of the statistics (BUCKET_STATS) of the rows of `source`, grouped: one row per group, with the
    group's columns first (name: expression over the source's columns). `source` gives readings (READING_STATS
    columns) or buckets (BUCKET_STATS columns).

    PostgreSQL finds the last value in the same hash aggregate, as the second element of the largest
    [epoch of last_at, value] pair (arrays compare element by element: the newest time, then the larger value);
    an epoch in microseconds stays exact in a double until the year 2255. SQLite has no arrays: a window over each
    group, newest first, picks it.
    """
    if readings:
        n, total, minimum, maximum, at, value, denominator = (
            "COUNT(*)", "SUM(value)", "MIN(value)", "MAX(value)", "measured_at", "value", "denominator",
        )  # fmt: skip
        inputs = READING_STATS
    else:
        n, total, minimum, maximum, at, value, denominator = (
            "SUM(n)", "SUM(total)", "MIN(minimum)", "MAX(maximum)", "last_at", "last_value", "denominator",
        )  # fmt: skip
        inputs = BUCKET_STATS
    names = ", ".join(group)
    positions = ", ".join(str(i + 1) for i in range(len(group)))
    stats = (
        f"{n} AS n, {total} AS total, {minimum} AS minimum, {maximum} AS maximum, MAX({at}) AS last_at, "
        f"{{last}} AS last_value, SUM({denominator}) AS denominator"
    )
    columns = ", ".join(f"{expression} AS {name}" for name, expression in group.items())
    if connection.vendor == "postgresql":
        last = f"(MAX(ARRAY[CAST(EXTRACT(EPOCH FROM {at}) AS double precision), {value}]))[2]"
        return f"SELECT {columns}, {stats.format(last=last)} FROM ({source}) s GROUP BY {positions}"
    partition = ", ".join(group.values())
    windowed = (
        f"SELECT {columns}, {', '.join(inputs)}, FIRST_VALUE({value}) OVER (PARTITION BY {partition} "
        f"ORDER BY {at} DESC, {value} DESC) AS window_last FROM ({source}) s"
    )
    return f"SELECT {names}, {stats.format(last='MAX(window_last)')} FROM ({windowed}) w GROUP BY {positions}"


def _day_insert(*, owner_type: str, full: bool = False) -> str:
    """The statement writing the day buckets of the claimed keys of one owner type ("p" or "d"), each in place
    when it exists. Its one parameter is the run's time. (`full` is kept for callers; a full rebuild goes
    through _full_rows.)"""
    keys = CLAIMED_DAYS_OF_OWNER.format(owner_type=owner_type)
    day_group = {"metric_id": "metric_id", "day": "day"}
    if owner_type == Rollup.PERSON:
        buckets = _aggregate(
            TOUCHED_PERSON_READINGS.format(keys=keys), {**day_group, "owner_id": "owner_id"}, readings=True
        )
    else:
        leaves = _aggregate(
            TOUCHED_LEAF_READINGS.format(keys=keys), {**day_group, "department_id": "department_id"}, readings=True
        )
        up = TOUCHED_LEAVES_UP.format(leaves=leaves, keys=keys, stats=_columns("l", BUCKET_STATS))
        buckets = _aggregate(up, {**day_group, "owner_id": "owner_id"}, readings=False)
    return DAY_INSERT.format(
        columns=ROLLUP_COLUMNS, day=periods.DAY, owner_type=owner_type, buckets=buckets, upsert=UPSERT
    )


def _columns(alias: str, names) -> str:
    return ", ".join(f"{alias}.{name}" for name in names)


def _period_insert(*, period: str, keys: str) -> str:
    """The statement writing the week or month buckets of keys (metric_id, owner_type, owner_id, start) from
    their day buckets, each in place when it exists."""
    groups = TOUCHED_PERIOD_GROUPS.format(
        keys=keys,
        stats=PERIOD_STATS,
        day=periods.DAY,
        next_start=periods.sql_next_bucket_start("k.start", period, connection.vendor),
    )
    return PERIOD_INSERT.format(columns=ROLLUP_COLUMNS, period=period, groups=groups, day=periods.DAY, upsert=UPSERT)


def _full_insert(target: str) -> str:
    """The statement writing every bucket (a full rebuild) into the table `target`, empty; its parameters are
    the run's time, once per %s."""
    vendor = connection.vendor
    order = "\nORDER BY metric_id, owner_id, day" if vendor == "postgresql" else ""  # SQLite: no ORDER BY in a UNION
    day_group = {"metric_id": "metric_id", "day": "day", "owner_id": "owner_id"}
    leaves = _aggregate(
        LEAF_READINGS, {"metric_id": "metric_id", "day": "day", "department_id": "department_id"}, readings=True
    )
    rows = []
    for period in periods.PERIODS:
        for owner_type, days in ((Rollup.PERSON, "person_days"), (Rollup.DEPARTMENT, "department_days")):
            # Weeks and months add up day buckets, as the incremental run does: the same sums in the same order.
            buckets = f"SELECT * FROM {days}"
            if period != periods.DAY:
                start = periods.sql_bucket_start("day", period, vendor)
                buckets = _aggregate(buckets, {**day_group, "day": start}, readings=False)
            part = FULL_ROWS.format(period=period, owner_type=owner_type, buckets=buckets, order=order)
            rows.append(f"({part})" if order else part)
    return FULL_INSERT.format(
        person_days=_aggregate(PERSON_READINGS, day_group, readings=True),
        department_days=_aggregate(
            LEAVES_UP.format(leaves=leaves, stats=_columns("l", BUCKET_STATS)), day_group, readings=False
        ),
        target=target,
        columns=ROLLUP_COLUMNS,
        rows="\nUNION ALL".join(rows),
    )


def _rebuild(cursor, *, now) -> int:
    """Write every bucket from every reading, replacing all rollups; returns how many were written.

    SQLite (the embedded mode and the tests): delete and insert. PostgreSQL: into a fresh table without indexes,
    whose unique index and primary key are then built in one sort each, swapped in for metrics_rollup (dropped)
    under its names. Deleting every row, checking and indexing every new one as it comes, cost more than
    computing the buckets; and until the swap, dashboards read the old rollups rather than wait.
    Raises BucketFailed when the database cannot hold a bucket.
    """
    try:
        if connection.vendor != "postgresql":
            cursor.execute("DELETE FROM metrics_rollup")
            statement = _full_insert("metrics_rollup")
            cursor.execute(statement, [now] * statement.count("%s"))
            return cursor.rowcount
        return _swap_in(cursor, now=now)
    except BUCKET_ERRORS as error:
        raise BucketFailed(periods.DAY, error) from error


# The unique, primary-key (and exclusion) constraints of metrics_rollup, and the indexes that serve none of them.
TABLE_CONSTRAINTS = """
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = 'metrics_rollup'::regclass AND contype IN ('p', 'u', 'x') ORDER BY conname"""
TABLE_INDEXES = """
SELECT CAST(CAST(indexrelid AS regclass) AS text), pg_get_indexdef(indexrelid) FROM pg_index
WHERE indrelid = 'metrics_rollup'::regclass
    AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = pg_index.indexrelid)
ORDER BY 1"""


def _swap_in(cursor, *, now) -> int:
    """PostgreSQL: fill FRESH with every bucket, give it metrics_rollup's constraints and indexes (read from the
    catalog, so that a migration adding one needs no change here), and put it in metrics_rollup's place."""
    cursor.execute(f"DROP TABLE IF EXISTS {FRESH}")
    cursor.execute(
        f"CREATE TABLE {FRESH} (LIKE metrics_rollup INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS)"
    )  # check constraints and NOT NULL come along (checked per row, cheap); keys and indexes follow the rows
    began = time.perf_counter()
    statement = _full_insert(FRESH)
    cursor.execute(statement, [now] * statement.count("%s"))
    written = cursor.rowcount
    computed = time.perf_counter()
    cursor.execute(TABLE_CONSTRAINTS)
    constraints = cursor.fetchall()
    cursor.execute(TABLE_INDEXES)
    indexes = cursor.fetchall()
    renames = []
    for number, (name, definition) in enumerate(constraints):
        cursor.execute(f"ALTER TABLE {FRESH} ADD CONSTRAINT {FRESH}_c{number} {definition}")
        renames.append(f"ALTER TABLE metrics_rollup RENAME CONSTRAINT {FRESH}_c{number} TO {_quoted(name)}")
    for number, (name, definition) in enumerate(indexes):
        made = re.sub(r"^(CREATE (?:UNIQUE )?INDEX )\S+ ON \S+ ", rf"\g<1>{FRESH}_i{number} ON {FRESH} ", definition)
        cursor.execute(made)
        renames.append(f"ALTER INDEX {FRESH}_i{number} RENAME TO {name.rsplit('.', 1)[-1]}")
    indexed = time.perf_counter()
    cursor.execute("DROP TABLE metrics_rollup")
    cursor.execute(f"ALTER TABLE {FRESH} RENAME TO metrics_rollup")
    for rename in renames:
        cursor.execute(rename)
    cursor.execute("SELECT pg_get_serial_sequence('metrics_rollup', 'id')")
    (sequence,) = cursor.fetchone()
    if sequence and sequence.rsplit(".", 1)[-1] != "metrics_rollup_id_seq":
        cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO metrics_rollup_id_seq")
    cursor.execute("ANALYZE metrics_rollup")  # the new table has no statistics yet: dashboards' plans need them
    log.info(
        "rollup (full): buckets computed and written in %.2fs, indexes built in %.2fs, swapped in %.2fs",
        computed - began,
        indexed - computed,
        time.perf_counter() - indexed,
    )
    return written


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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
    place: no index entry changes), then deletes the touched buckets it did not write, which only happens when
    readings were deleted, so that statement runs only when the counts say so. A full one is _rebuild().
    Raises BucketFailed, naming the period whose statement failed, when the database cannot hold a bucket.
    """
    if full:
        return _rebuild(cursor, now=now)
    keys = {period: _claimed_buckets(period) for period in periods.PERIODS}
    cursor.execute(EXPECTED.format(day=keys[periods.DAY], week=keys[periods.WEEK], month=keys[periods.MONTH]))
    expected = dict(zip(periods.PERIODS, cursor.fetchone(), strict=True))
    written = 0
    try:
        for owner_type in (Rollup.PERSON, Rollup.DEPARTMENT):
            cursor.execute(_day_insert(owner_type=owner_type), [now])
            written += cursor.rowcount
    except BUCKET_ERRORS as error:
        raise BucketFailed(periods.DAY, error) from error
    if written < expected[periods.DAY]:
        cursor.execute(DELETE_STALE.format(keys=keys[periods.DAY], period=periods.DAY), [now])
    buckets = written
    for period in (periods.WEEK, periods.MONTH):
        try:
            cursor.execute(_period_insert(period=period, keys=keys[period]), [now])
        except BUCKET_ERRORS as error:
            raise BucketFailed(period, error) from error
        buckets += cursor.rowcount
        if cursor.rowcount < expected[period]:
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
            # Sorts and hashes of a run stay in memory (a full rebuild's aggregates, and its index build, are big).
            cursor.execute(f"SET LOCAL work_mem = '{'256MB' if full else '64MB'}'")
            if full:
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            if queue_rows > 100:
                cursor.execute(f"ANALYZE {CLAIMED}")  # fresh row estimates for the planner
        if full:
            sync_department_ancestors()  # a rebuild also repairs the closure it adds up through (a few ms)
        one_at_a_time = False
        try:
            buckets = _compute_in_savepoint(cursor, full=full, now=now)
        except BucketFailed as failed:
            one_at_a_time = True
            log.warning("rollup: %s; computing one metric at a time", failed)
            if full:  # every reading's keys, to be computed like queued ones, into an empty table
                cursor.execute("DELETE FROM metrics_rollup")
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


def queue_moved_department(*, department_id: int, old_path: str, new_path: str) -> int:
    """Queue the department buckets a move changed: every (metric, day) with readings in the moved subtree, for
    each department it left or joined above it (those above both keep their totals). Call inside the move's
    transaction, after the ancestor closure changed; returns the keys queued."""
    old_above, new_above = (set(ids_on_path(path)) - {department_id} for path in (old_path, new_path))
    changed = sorted(old_above ^ new_above)
    if not changed:
        return 0
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    owners = ", ".join(["%s"] * len(changed))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A reading written meanwhile queued its keys through the ancestors as they were, and this statement
            # would not see it: wait for such writers to commit, and hold new ones until the move commits (they
            # then add up through the new ancestors). Moves are rare and this lock lasts only until commit.
            cursor.execute("LOCK TABLE metrics_reading IN SHARE MODE")
        cursor.execute(
            f"""INSERT INTO metrics_rollupqueue (metric_id, day, owner_type, owner_id, queued_at)
            SELECT k.metric_id, k.day, '{OwnerType.DEPARTMENT.value}', d.id, %s
            FROM (SELECT DISTINCT r.metric_id, r.day FROM metrics_reading r
                  JOIN org_departmentancestor a ON a.department_id = r.department_id
                  WHERE a.ancestor_id = %s) k
            CROSS JOIN org_department d WHERE d.id IN ({owners})""",
            [now, department_id, *changed],
        )
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
