"""CSV import of readings against the floor under it, the write alone, in the same run.

Builds a division (a manager, teams, people, per-person, ratio and department metrics), writes a CSV file of
--rows valid readings, then times metrics.services.imports.import_readings() as the division's manager (all or
nothing: read, checked, written, rollup keys queued; on PostgreSQL through a staging table) against
`COPY ... FROM STDIN (FORMAT csv)` of the same file into a plain table with typed columns. On PostgreSQL it also
times two floors in the same run: the same writes by set-based SQL with no checks, and the write alone (the rows
already resolved to ids, inserted into metrics_reading by one statement), which no import of these rows can beat.
Then imports once more under tracemalloc for the peak memory. Prints the times, the memory, and last
`ratio=<import / the write alone>` (on SQLite, which has no such floor here, `ratio=<import / executemany>`).
"""

import argparse
import csv
import os
import random
import resource
import statistics
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

from harness import scratch_database

PEOPLE = 200
TEAMS = 5

# What the import writes, by SQL alone: readings upserted from the COPY (people by username or e-mail), then
# the rollup keys of each person and of each department with everything above it.
SET_BASED_UPSERT = """
INSERT INTO metrics_reading (metric_id, person_id, department_id, measured_at, day, value, denominator, note, source,
                             recorded_by_id, override_reason, created_at, updated_at)
SELECT m.id, {person}, CAST(s.measured_at AT TIME ZONE %(zone)s AS date), s.value,
       s.denominator, COALESCE(s.note, ''), 'csv', %(by)s, '', now(), now()
FROM bench_copy s JOIN metrics_metric m ON m.code = s.metric
LEFT JOIN org_user by_name ON lower(by_name.username) = lower(s.person)
LEFT JOIN org_user by_email ON lower(by_email.email) = lower(s.person)
WHERE m.owner_kind = '{kind}'
ON CONFLICT {target} DO UPDATE SET value = excluded.value, denominator = excluded.denominator, note = excluded.note,
    source = excluded.source, recorded_by_id = excluded.recorded_by_id, department_id = excluded.department_id,
    day = excluded.day, updated_at = excluded.updated_at
"""
SET_BASED_TARGETS = [
    (
        "person",
        "COALESCE(by_name.id, by_email.id), COALESCE(by_name.department_id, by_email.department_id), s.measured_at",
        "(metric_id, person_id, measured_at) WHERE person_id IS NOT NULL",
    ),
    (
        "department",
        "NULL, m.department_id, s.measured_at",
        "(metric_id, department_id, measured_at) WHERE person_id IS NULL",
    ),
]
SET_BASED_QUEUE = """
INSERT INTO metrics_rollupqueue (metric_id, day, owner_type, owner_id, queued_at)
SELECT DISTINCT metric_id, day, 'p', person_id, now() FROM metrics_reading WHERE person_id IS NOT NULL
UNION
SELECT DISTINCT r.metric_id, r.day, 'd', above.id, now() FROM metrics_reading r
JOIN org_department d ON d.id = r.department_id JOIN org_department above ON {subtree}
"""


def build(*, rng: random.Random):
    from metrics.models import Metric
    from org.models import Department, User

    division = Department.objects.create(name="Customer service", code="customer-service")
    teams = [Department.objects.create(name=f"Team {n}", code=f"team-{n}", parent=division) for n in range(TEAMS)]
    manager = User.objects.create_user(username="manager", email="manager@example.com", department=division)
    division.managers.add(manager)
    people = [
        User.objects.create_user(username=f"agent{n}", email=f"agent{n}@example.com", department=teams[n % TEAMS])
        for n in range(PEOPLE)
    ]
    per_person = [
        Metric.objects.create(
            department=division, name=f"Per person {n}", code=f"per-person-{n}", min_value=0, max_value=100
        )
        for n in range(4)
    ]
    ratio = Metric.objects.create(
        department=division,
        name="Defects",
        code="defects",
        ratio_scale=1000,
        aggregation=Metric.Aggregation.RATIO,
        denominator_label="units",
    )
    calls = Metric.objects.create(
        department=teams[0],
        name="Calls",
        code="calls",
        owner_kind=Metric.Owner.DEPARTMENT,
        aggregation=Metric.Aggregation.SUM,
    )
    return manager, people, per_person, ratio, calls


def write_csv(path: str, *, rows: int, people, per_person, ratio, calls, rng: random.Random) -> None:
    """Valid, distinct readings over the last ~200 days: half with an offset, some naive, some plain dates."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=200)
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["metric", "person", "measured_at", "value", "denominator", "note"])
        for n in range(rows):
            slot = n // (len(people) * 5)  # each person and metric once per slot
            kind = n % 5
            person = people[(n // 5) % len(people)]
            when = start + timedelta(minutes=slot * 7)
            stamp = when.isoformat() if n % 3 else when.strftime("%Y-%m-%dT%H:%M")
            if kind == 4 and n % 10 == 4:  # one department: a distinct second for each of its readings in a slot
                moment = (when + timedelta(seconds=(n // 10) % 100)).isoformat()
                writer.writerow([calls.code, "", moment, rng.randint(50, 500), "", ""])
            elif kind == 4:
                writer.writerow([ratio.code, person.email, stamp, rng.randint(0, 9), rng.randint(500, 2000), ""])
            else:
                note = "after the new greeting" if n % 50 == 0 else ""
                writer.writerow(
                    [per_person[kind].code, person.username, stamp, f"{rng.uniform(40, 100):.1f}", "", note]
                )


def _time_service_calls(imports) -> list[float]:
    """Wrap the reading service's functions as the import module calls them, collecting their wall times."""
    spent: list[float] = []

    def timed(function):
        def call(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent.append(time.perf_counter() - started)

        return call

    for name in ("check_readings", "record_readings"):
        setattr(imports, name, timed(getattr(imports, name)))
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each side; the median is reported")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    # One scratch database per size, so that two sizes can run side by side.
    with scratch_database(f"import_{args.rows}") as connection, tempfile.TemporaryDirectory() as folder:
        from django.conf import settings

        from config.celery import app as celery_app
        from metrics.models import Reading, RollupQueue
        from metrics.services import imports

        settings.DEBUG = False  # as in production: with DEBUG on, Django keeps every (large) INSERT in memory
        celery_app.conf.broker_url = "memory://"  # the rollup nudge goes nowhere: no worker runs on this database
        in_service = _time_service_calls(imports)
        manager, people, per_person, ratio, calls = build(rng=rng)
        path = os.path.join(folder, "readings.csv")
        write_csv(path, rows=args.rows, people=people, per_person=per_person, ratio=ratio, calls=calls, rng=rng)
        size = os.path.getsize(path)
        print(f"{args.rows:,} rows ({size / 1e6:.1f} MB), {PEOPLE} people, 6 metrics, {connection.vendor}")

        def clear(table: str):
            """Empty a table without leaving dead rows behind, so every run starts from the same state."""
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {table}" if connection.vendor == "postgresql" else f"DELETE FROM {table}")

        def keel():
            with open(path, "rb") as file:
                report = imports.import_readings(file=file, recorded_by=manager)
            assert report.saved and report.created == args.rows, report.summary()

        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE bench_copy (metric text, person text, measured_at timestamptz, "
                "value double precision, denominator double precision, note text)"
            )

        def copy():
            with connection.cursor() as cursor, open(path, "rb") as file:
                if connection.vendor == "postgresql":
                    cursor.copy_expert("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)", file)
                else:  # no COPY: the closest SQLite has, executemany of the parsed rows
                    reader = csv.reader(line.decode() for line in file)
                    next(reader)
                    cursor.executemany("INSERT INTO bench_copy VALUES (%s, %s, %s, %s, %s, %s)", list(reader))
                cursor.execute("SELECT count(*) FROM bench_copy")
                assert cursor.fetchone()[0] == args.rows

        def set_based():
            """The same readings and rollup keys written by SQL alone from the COPY: no checks, no Python per row."""
            from django.db import transaction

            from core import periods
            from org.paths import subtree_sql

            with transaction.atomic(), connection.cursor() as cursor, open(path, "rb") as file:
                cursor.copy_expert("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)", file)
                params = {"zone": periods.organization_zone().key, "by": manager.pk}
                for kind, person, target in SET_BASED_TARGETS:
                    cursor.execute(SET_BASED_UPSERT.format(person=person, kind=kind, target=target), params)
                cursor.execute(SET_BASED_QUEUE.format(subtree=subtree_sql("d", "above")))
            assert Reading.objects.count() == args.rows

        def write_only() -> tuple[float, float]:
            """The readings alone, already resolved to ids, written into metrics_reading by one INSERT … SELECT
            (its indexes, and its foreign keys checked at commit): the floor under any import of these rows.
            Returns (total, commit) seconds."""
            from django.db import transaction

            columns = (
                "metric_id, person_id, department_id, measured_at, day, value, denominator, note, source, "
                "recorded_by_id, override_reason, created_at, updated_at"
            )
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE TABLE IF NOT EXISTS bench_resolved AS SELECT {columns} FROM metrics_reading")
                cursor.execute("TRUNCATE metrics_reading")
            started = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"INSERT INTO metrics_reading ({columns}) SELECT {columns} FROM bench_resolved")
                committing = time.perf_counter()
            finished = time.perf_counter()
            assert Reading.objects.count() == args.rows
            return finished - started, finished - committing

        keel_times, service_times, copy_times, set_based_times, write_times, commit_times = [], [], [], [], [], []
        for _ in range(args.runs):
            clear(Reading._meta.db_table)
            clear(RollupQueue._meta.db_table)
            in_service.clear()
            started = time.perf_counter()
            keel()
            keel_times.append(time.perf_counter() - started)
            service_times.append(sum(in_service))
            clear("bench_copy")
            started = time.perf_counter()
            copy()
            copy_times.append(time.perf_counter() - started)
            if connection.vendor == "postgresql":
                for table in (Reading._meta.db_table, RollupQueue._meta.db_table, "bench_copy"):
                    clear(table)
                started = time.perf_counter()
                set_based()
                set_based_times.append(time.perf_counter() - started)
                total, commit = write_only()
                write_times.append(total)
                commit_times.append(commit)

        clear(Reading._meta.db_table)
        clear(RollupQueue._meta.db_table)
        tracemalloc.start()
        keel()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

        keel_time, copy_time = statistics.median(keel_times), statistics.median(copy_times)
        in_services = statistics.median(service_times)  # the row-by-row path (SQLite); PostgreSQL stages the rows
        print(
            f"keel import (check + write, all or nothing): {keel_time:.2f} s ({args.rows / keel_time:,.0f} rows/s)"
            + (f", of which {in_services:.2f} s in check_readings() and record_readings()" if in_services else "")
        )
        print(
            f"PostgreSQL COPY of the same file:            {copy_time:.2f} s"
            if connection.vendor == "postgresql"
            else f"SQLite executemany of the same rows:          {copy_time:.2f} s"
        )
        if set_based_times:
            set_based_time = statistics.median(set_based_times)
            print(
                f"set-based SQL of the same writes, no checks (COPY, INSERT … SELECT … ON CONFLICT, rollup keys): "
                f"{set_based_time:.2f} s, import/set-based = {keel_time / set_based_time:.2f}"
            )
            write_time = statistics.median(write_times)
            print(
                f"the write alone (the same rows already resolved to ids, one INSERT … SELECT into metrics_reading): "
                f"{write_time:.2f} s = {write_time / copy_time:.1f} × COPY, of which "
                f"{statistics.median(commit_times):.2f} s checking its four foreign keys at commit"
            )
        print(f"import peak memory: {peak / 1e6:.1f} MB traced (tracemalloc), process max RSS {max_rss:.0f} MiB")
        print(
            f"ratio={keel_time / statistics.median(write_times):.2f}"
            if write_times
            else f"ratio={keel_time / copy_time:.2f}"
        )


if __name__ == "__main__":
    main()
