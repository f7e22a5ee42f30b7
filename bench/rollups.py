"""Full rollup of N readings (200 metrics, 2 years) against hand-written SQL over the same rows, and an
incremental run after 1,000 new readings against the full one.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/rollups.py --readings 1000000

Prints both times; the last line is `ratio=<full rollup / raw SQL>` (target 1.5 or less).
"""

import argparse
import io
import random
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from harness import scratch_database

METRICS = 200
DAYS = 730

RAW_SQL = """
INSERT INTO metrics_rollup (metric_id, period, start, owner_type, owner_id, n, total, minimum, maximum,
                            last_value, last_at, denominator, updated_at)
SELECT metric_id, %(period)s, {bucket}, %(owner)s, owner_id, COUNT(*), SUM(value), MIN(value), MAX(value),
       (array_agg(value ORDER BY measured_at DESC, value DESC))[1], MAX(measured_at), SUM(denominator), now()
FROM ({source}) s
GROUP BY metric_id, {bucket}, owner_id
ON CONFLICT (metric_id, period, start, owner_type, owner_id) DO UPDATE SET
    n = excluded.n, total = excluded.total, minimum = excluded.minimum, maximum = excluded.maximum,
    last_value = excluded.last_value, last_at = excluded.last_at, denominator = excluded.denominator,
    updated_at = excluded.updated_at
"""
SOURCES = {
    "p": "SELECT metric_id, day, person_id AS owner_id, value, measured_at, denominator FROM metrics_reading "
    "WHERE person_id IS NOT NULL",
    "d": "SELECT r.metric_id, r.day, b.id AS owner_id, r.value, r.measured_at, r.denominator FROM metrics_reading r "
    "JOIN org_department rd ON rd.id = r.department_id JOIN org_department b ON {subtree}",
}
BUCKETS = {
    "day": "day",
    "week": "CAST(date_trunc('week', day) AS date)",
    "month": "CAST(date_trunc('month', day) AS date)",
}


def checksum(cursor) -> tuple:
    cursor.execute(
        "SELECT COUNT(*), SUM(n), ROUND(CAST(SUM(total) AS numeric), 3), "
        "ROUND(CAST(SUM(last_value) AS numeric), 3) FROM metrics_rollup"
    )
    return cursor.fetchone()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--readings", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with scratch_database("rollups") as connection:
        from django.utils import timezone

        from metrics.models import Metric, Reading
        from metrics.services import rollups
        from metrics.services.readings import ReadingRow, store_rows
        from org import demo
        from org.models import Department, User
        from org.paths import subtree_sql

        assert connection.vendor == "postgresql", "run it with DATABASE_URL pointing at PostgreSQL"
        demo.seed_organization(rng=rng, size="small")
        teams = list(Department.objects.filter(depth=2))
        people = {d.pk: list(User.objects.filter(department=d).values_list("pk", flat=True)) for d in teams}
        metrics = []
        for n in range(METRICS):
            team = teams[n % len(teams)]
            metrics.append(
                Metric.objects.create(
                    department=team,
                    name=f"Metric {n}",
                    code=f"m-{n}",
                    aggregation=rng.choice(["mean", "sum", "last", "max"]),
                )
            )
        # Readings: spread evenly over metrics and two years, each by a person of the metric's team; COPY in.
        start = datetime(2024, 11, 1, tzinfo=ZoneInfo("UTC"))
        per_metric = args.readings // METRICS
        buffer = io.StringIO()
        now = timezone.now().isoformat()
        for metric in metrics:
            team_people = people[metric.department_id]
            for k in range(per_metric):
                when = start + timedelta(minutes=k * DAYS * 24 * 60 // per_metric + rng.randint(0, 59))
                person = team_people[k % len(team_people)]
                buffer.write(
                    f"{metric.pk}\t{person}\t{metric.department_id}\t{when.isoformat()}\t{when.date()}\t"
                    f"{rng.uniform(0, 100):.3f}\t\\N\t\tdemo\t\\N\t\t{now}\t{now}\n"
                )
        buffer.seek(0)
        loading = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                "COPY metrics_reading (metric_id, person_id, department_id, measured_at, day, value, denominator, "
                "note, source, recorded_by_id, override_reason, created_at, updated_at) FROM STDIN",
                buffer,
            )
            cursor.execute("ANALYZE")
        total = Reading.objects.count()
        print(
            f"{total:,} readings, {METRICS} metrics, {DAYS} days, {User.objects.count()} people, "
            f"{Department.objects.count()} departments (loaded in {time.perf_counter() - loading:.1f}s)"
        )

        t0 = time.perf_counter()
        result = rollups.run(full=True)
        full_time = time.perf_counter() - t0
        with connection.cursor() as cursor:
            keel_sum = checksum(cursor)
            cursor.execute("TRUNCATE metrics_rollup")
            t0 = time.perf_counter()
            for period, bucket in BUCKETS.items():
                for owner, source in SOURCES.items():
                    source = source.format(subtree=subtree_sql("rd", "b"))
                    cursor.execute(RAW_SQL.format(bucket=bucket, source=source), {"period": period, "owner": owner})
            raw_time = time.perf_counter() - t0
            raw_sum = checksum(cursor)
        assert keel_sum == raw_sum, f"the two disagree: keel {keel_sum} raw {raw_sum}"
        print(f"full rollup (keel):   {full_time:.2f}s, {result.buckets:,} buckets")
        print(f"raw SQL GROUP BY:     {raw_time:.2f}s, same buckets and sums")

        rollups.run(full=True)
        latest = start + timedelta(days=DAYS)
        admin = User.objects.get(username="admin")
        rows = []
        for k in range(1000):
            metric = metrics[k % METRICS]
            person = User.objects.select_related("department").get(pk=people[metric.department_id][k % 3])
            rows.append(
                ReadingRow(
                    metric=metric,
                    person=person,
                    value=rng.uniform(0, 100),
                    measured_at=latest - timedelta(minutes=rng.randint(0, 60 * 24 * 3)),
                )
            )
        store_rows(rows, recorded_by=admin, source="command")  # queues the touched buckets too
        t0 = time.perf_counter()
        incremental = rollups.run()
        incremental_time = time.perf_counter() - t0
        speedup = full_time / incremental_time
        print(
            f"incremental after 1,000 new readings: {incremental_time:.3f}s ({incremental.buckets:,} buckets), "
            f"{speedup:.0f} times faster than the full rollup ({'at least' if speedup >= 100 else 'LESS than'} "
            f"100 times)"
        )
        print(f"ratio={full_time / raw_time:.2f}")


if __name__ == "__main__":
    main()
