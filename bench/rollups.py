"""Full rollup of N readings (200 metrics, 2 years) against the physical floor, and the incremental run after
1,000 new readings as history grows fivefold (10 years, the same readings per day).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/rollups.py
    DATABASE_URL=... .venv/bin/python bench/rollups.py --readings 100000 --history-readings 500000  # quick

The floor is the fastest correct SQL for the same buckets, hand-written here: one hash aggregate per level, the
last value as `(max(ARRAY[epoch, value]))[2]`, department totals added up from per-leaf partials through the
department-ancestor closure, written into a plain table (no index, no key). It is checked equal to Keel's
output bucket by bucket. The readings are generated in SQL (generate_series), in the real table.

Prints the full rollup, the floor, the incremental run at both history sizes and their ratio
(`history ratio=…`, target 1.2 or less); the last line is `ratio=<full rollup / floor>` (target 3 or less).
"""

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from harness import scratch_database

METRICS = 200
START = datetime(2024, 11, 1, tzinfo=UTC)  # the first day of the recent window; older history goes before it

# Readings k = k0 … k1-1 of every bench metric, `spacing` minutes apart from START (negative k: before it), each
# by the next person of the metric's team in turn; minutes and values from a fixed hash, so every run is alike.
GENERATE = """
INSERT INTO metrics_reading (metric_id, person_id, department_id, measured_at, day, value, denominator, note,
                             source, recorded_by_id, override_reason, created_at, updated_at)
SELECT m.metric_id, p.person_id, m.department_id, t.at, CAST(timezone(%(zone)s, t.at) AS date),
       ((k * 7919 + m.idx * 104729) %% 100000) / 1000.0, NULL, '', 'demo', NULL, '', now(), now()
FROM bench_metric m
CROSS JOIN generate_series(%(k0)s, %(k1)s - 1) AS k
CROSS JOIN LATERAL (
    SELECT %(start)s + make_interval(
        mins => CAST(floor(k * %(spacing)s) AS int) + CAST(((k * 37 + m.idx * 11) %% 60 + 60) %% 60 AS int)
    ) AS at
) t
JOIN bench_person p ON p.department_id = m.department_id AND p.idx = ((k %% m.team_size) + m.team_size) %% m.team_size
"""

BENCH_TABLES = """
CREATE TABLE bench_metric AS
SELECT m.id AS metric_id, m.department_id, CAST(row_number() OVER (ORDER BY m.id) - 1 AS int) AS idx,
       (SELECT COUNT(*) FROM org_user u WHERE u.department_id = m.department_id) AS team_size
FROM metrics_metric m WHERE m.code LIKE 'm-%%';
CREATE TABLE bench_person AS
SELECT u.department_id, u.id AS person_id, row_number() OVER (PARTITION BY u.department_id ORDER BY u.id) - 1 AS idx
FROM org_user u WHERE u.department_id IN (SELECT department_id FROM bench_metric);
"""

# The floor: every day, week and month bucket of every person and department, into a plain table.
STATS = """COUNT(*) AS n, SUM(value) AS total, MIN(value) AS minimum, MAX(value) AS maximum,
    MAX(measured_at) AS last_at, (MAX(ARRAY[CAST(EXTRACT(EPOCH FROM measured_at) AS float8), value]))[2] AS last_value,
    SUM(denominator) AS denominator"""
COMBINE = """SUM(n) AS n, SUM(total) AS total, MIN(minimum) AS minimum, MAX(maximum) AS maximum,
    MAX(last_at) AS last_at, (MAX(ARRAY[CAST(EXTRACT(EPOCH FROM last_at) AS float8), last_value]))[2] AS last_value,
    SUM(denominator) AS denominator"""
FLOOR = f"""
CREATE TABLE bench_floor AS
WITH person_days AS (
    SELECT metric_id, day AS start, person_id AS owner_id, {STATS}
    FROM metrics_reading WHERE person_id IS NOT NULL GROUP BY 1, 2, 3
), leaf_days AS (
    SELECT metric_id, day AS start, department_id, {STATS} FROM metrics_reading GROUP BY 1, 2, 3
), person_periods AS (
    SELECT 'day' AS period, * FROM person_days
    UNION ALL
    SELECT 'week', metric_id, CAST(date_trunc('week', start) AS date), owner_id, {COMBINE} FROM person_days
    GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT 'month', metric_id, CAST(date_trunc('month', start) AS date), owner_id, {COMBINE} FROM person_days
    GROUP BY 1, 2, 3, 4
), leaf_periods AS (
    SELECT 'day' AS period, * FROM leaf_days
    UNION ALL
    SELECT 'week', metric_id, CAST(date_trunc('week', start) AS date), department_id, {COMBINE} FROM leaf_days
    GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT 'month', metric_id, CAST(date_trunc('month', start) AS date), department_id, {COMBINE} FROM leaf_days
    GROUP BY 1, 2, 3, 4
)
SELECT metric_id, period, start, 'p' AS owner_type, owner_id, n, total, minimum, maximum, last_at, last_value,
       denominator
FROM person_periods
UNION ALL
SELECT l.metric_id, l.period, l.start, 'd', a.ancestor_id, {COMBINE}
FROM leaf_periods l JOIN org_departmentancestor a ON a.department_id = l.department_id
GROUP BY 1, 2, 3, 4, 5
"""

# Buckets in one table and not the other, or whose figures differ (sums: beyond rounding of a different order).
DIFFERENCES = """
SELECT COUNT(*), MIN(COALESCE(f.metric_id, k.metric_id) || ' ' || COALESCE(f.period, k.period) || ' ' ||
       COALESCE(f.start, k.start) || ' ' || COALESCE(f.owner_type, k.owner_type) || COALESCE(f.owner_id, k.owner_id))
FROM bench_floor f
FULL JOIN metrics_rollup k ON k.metric_id = f.metric_id AND k.period = f.period AND k.start = f.start
    AND k.owner_type = f.owner_type AND k.owner_id = f.owner_id
WHERE f.metric_id IS NULL OR k.metric_id IS NULL OR k.n <> f.n OR k.minimum <> f.minimum OR k.maximum <> f.maximum
    OR k.last_value <> f.last_value OR k.last_at <> f.last_at
    OR abs(k.total - f.total) > 1e-9 * greatest(1, abs(f.total))
    OR (k.denominator IS NULL) <> (f.denominator IS NULL)
    OR abs(k.denominator - f.denominator) > 1e-9 * greatest(1, abs(f.denominator))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readings", type=int, default=1_000_000, help="readings over --days (default 1,000,000)")
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument(
        "--history-readings",
        type=int,
        default=5_000_000,
        help="readings in all for the incremental run's second measure, at the same readings per day (0: skip)",
    )
    parser.add_argument("--runs", type=int, default=5, help="incremental runs per size (median)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with scratch_database("rollups") as connection:
        from django.conf import settings

        from metrics.models import Metric, Reading, RollupQueue
        from metrics.services import readings, rollups
        from metrics.services.readings import ReadingRow, store_rows
        from org import demo
        from org.models import Department, User

        assert connection.vendor == "postgresql", "run it with DATABASE_URL pointing at PostgreSQL"
        readings._enqueue_rollup = lambda: None  # no worker here: the bench runs every rollup itself
        demo.seed_organization(rng=rng, size="small")
        teams = list(Department.objects.filter(depth=2))
        metrics = [
            Metric.objects.create(
                department=teams[n % len(teams)],
                name=f"Metric {n}",
                code=f"m-{n}",
                aggregation=rng.choice(["mean", "sum", "last", "max"]),
            )
            for n in range(METRICS)
        ]
        per_metric = args.readings // METRICS
        spacing = args.days * 24 * 60 / per_metric  # minutes between two readings of a metric
        with connection.cursor() as cursor:
            cursor.execute(BENCH_TABLES)

        def generate(k0: int, k1: int) -> float:
            began = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(
                    GENERATE,
                    {"zone": settings.TIME_ZONE, "k0": k0, "k1": k1, "start": START, "spacing": spacing},
                )
                cursor.execute("ANALYZE")
            return time.perf_counter() - began

        loaded = generate(0, per_metric)
        print(
            f"{Reading.objects.count():,} readings, {METRICS} metrics, {args.days} days, {User.objects.count()} "
            f"people, {Department.objects.count()} departments (generated in {loaded:.1f}s)"
        )

        began = time.perf_counter()
        result = rollups.run(full=True)
        full_time = time.perf_counter() - began
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")  # the floor starts with no dirty pages of the full rollup to write
            began = time.perf_counter()
            cursor.execute(FLOOR)
            floor_time = time.perf_counter() - began
            cursor.execute("SELECT COUNT(*) FROM bench_floor")
            (floor_buckets,) = cursor.fetchone()
            cursor.execute(DIFFERENCES)
            differences, example = cursor.fetchone()
        assert differences == 0, f"Keel and the floor disagree on {differences} buckets, e.g. {example}"
        print(f"full rollup (keel):   {full_time:.2f}s, {result.buckets:,} buckets")
        print(f"floor (plain SQL):    {floor_time:.2f}s, {floor_buckets:,} buckets, equal bucket by bucket")

        latest = START + timedelta(days=args.days)
        admin = User.objects.get(username="admin")
        team_people = {
            team.pk: list(User.objects.filter(department=team).select_related("department").order_by("pk"))
            for team in teams
        }
        batch_rng = random.Random(args.seed)
        batch = []
        for k in range(1000):
            metric = metrics[k % METRICS]
            batch.append(
                ReadingRow(
                    metric=metric,
                    person=team_people[metric.department_id][k % 3],
                    value=round(batch_rng.uniform(0, 100), 3),
                    # 30 s past a minute: no generated reading is there, so each is new
                    measured_at=latest - timedelta(minutes=batch_rng.randint(1, 60 * 24 * 3), seconds=30),
                )
            )

        def incremental() -> tuple[float, int]:
            """Median time of the rollup after the same 1,000 readings, each time removed again afterwards."""
            times = []
            for _ in range(args.runs):
                store_rows(batch, recorded_by=admin, source="command")  # queues the touched buckets too
                began = time.perf_counter()
                done = rollups.run()
                times.append(time.perf_counter() - began)
                readings.delete_readings(readings=Reading.objects.filter(source="command"))
                rollups.run()
            assert not RollupQueue.objects.exists()
            return statistics.median(times), done.buckets

        recent, touched = incremental()
        print(
            f"incremental after 1,000 new readings, {Reading.objects.count():,} readings over {args.days} days: "
            f"{recent:.3f}s ({touched:,} buckets; median of {args.runs}), {full_time / recent:.0f} times faster "
            f"than the full rollup"
        )
        if args.history_readings:
            history_days = round(args.days * args.history_readings / args.readings)
            more = args.history_readings // METRICS - per_metric
            loaded = generate(-more, 0)
            began = time.perf_counter()
            history_full = rollups.run(full=True)
            history_full_time = time.perf_counter() - began
            print(
                f"{Reading.objects.count():,} readings over {history_days} days (generated in {loaded:.1f}s): "
                f"full rollup {history_full_time:.2f}s, {history_full.buckets:,} buckets"
            )
            old, touched = incremental()
            print(
                f"incremental after 1,000 new readings, {Reading.objects.count():,} readings over {history_days} "
                f"days: {old:.3f}s ({touched:,} buckets; median of {args.runs})"
            )
            print(f"history ratio={old / recent:.2f} (incremental at {history_days} / {args.days} days)")
        print(f"ratio={full_time / floor_time:.2f}")


if __name__ == "__main__":
    main()
