"""A stratified random draw with the exclusion window from 1,000,000 customers, against ORDER BY random().

Builds one department with --customers external customers in four segments (2% opted out, 10% asked in the last
90 days) with generate_series on PostgreSQL (a recursive CTE on SQLite), then times
customers.services.sampling.draw_sample() for a stratified sample of --size (each run a new campaign and seed:
a campaign is drawn once) against
`SELECT id FROM customers_customer WHERE department_id = … ORDER BY random() LIMIT n` on
the same table. Last line: `time=<draw seconds> ratio=<draw/random>`.
"""

import argparse
import statistics
import time
from datetime import timedelta

from harness import best_of, scratch_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--size", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with scratch_database("sampling") as connection:
        from django.utils import timezone

        from customers.models import Campaign, Customer
        from customers.services.sampling import draw_sample
        from goals.models import AcceptanceCriterion, DefinitionVersion, QualityDefinition
        from org.models import Department

        department = Department.objects.create(name="Customer Service", code="cs")
        definition = QualityDefinition.objects.create(department=department, title="Support")
        version = DefinitionVersion.objects.create(
            definition=definition, major=1, promise="Fast answers.", published_at=timezone.now()
        )
        AcceptanceCriterion.objects.create(version=version, text="Reply within a day")
        now = timezone.now()
        recent = connection.ops.adapt_datetimefield_value(now - timedelta(days=10))
        created = connection.ops.adapt_datetimefield_value(now)
        series = (
            "generate_series(1, %(n)s) AS s(i)"
            if connection.vendor == "postgresql"
            else "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %(n)s) SELECT i FROM s) s"
        )
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO customers_customer (department_id, kind, name, email, segment, products, "
                "internal_department_id, last_contacted_at, opted_out_at, created_at) "
                "SELECT %(dept)s, 'external', 'Customer ' || i, 'c' || i || '@example.com', "
                "CASE i %% 10 WHEN 0 THEN 'public sector' WHEN 1 THEN 'wholesale' WHEN 2 THEN 'wholesale' "
                "WHEN 3 THEN 'online' WHEN 4 THEN 'online' WHEN 5 THEN 'online' ELSE 'retail' END, '', NULL, "
                "CASE WHEN i %% 10 = 7 THEN %(recent)s END, CASE WHEN i %% 50 = 0 THEN %(created)s END, "
                f"%(created)s FROM {series}",
                {"dept": department.pk, "n": args.customers, "recent": recent, "created": created},
            )
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE customers_customer")
        print(
            f"{Customer.objects.count():,} customers built in {time.perf_counter() - start:.1f} s, {connection.vendor}"
        )

        def new_campaign(n):
            return Campaign.objects.create(
                department=department,
                definition=definition,
                version=version,
                title=f"Bench {n}",
                sample_size=args.size,
                stratify_by_segment=True,
                exclude_days=90,
                starts_on=now.date(),
                ends_on=now.date(),
            )

        times, audit = [], None
        for run in range(args.runs + 1):  # the first run warms caches and is dropped
            campaign = new_campaign(run)
            started = time.perf_counter()
            audit = draw_sample(campaign=campaign, seed=run)
            if run:
                times.append(time.perf_counter() - started)
        draw_time = statistics.median(times)
        print(
            f"eligible {audit['eligible']:,}, excluded {audit['excluded']}, drawn {audit['drawn']:,}: "
            + ", ".join(f"{s} {v['drawn']}/{v['eligible']:,}" for s, v in audit["by_segment"].items())
        )

        def plain_random():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id FROM customers_customer WHERE department_id = %s ORDER BY random() LIMIT %s",
                    [department.pk, args.size],
                )
                return len(cursor.fetchall())

        random_time = best_of(plain_random, runs=args.runs)
        print(f"draw_sample (stratified, exclusion window, {args.size:,} drawn): {draw_time * 1000:.0f} ms")
        print(f"ORDER BY random() LIMIT {args.size:,}: {random_time * 1000:.0f} ms")
        print(f"time={draw_time:.3f} ratio={draw_time / random_time:.2f}")


if __name__ == "__main__":
    main()
