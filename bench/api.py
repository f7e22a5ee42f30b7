"""POST /api/v1/readings in batches of 10,000 against the CSV import of the same readings, in the same run.

Builds the division of bench/import.py (a manager, 5 teams, 200 people, per-person, ratio and department metrics)
and its CSV file of --rows valid readings, then times, as the division's manager:
- the API: the same readings as JSON bodies of 10,000 (all or nothing), each POSTed through Django's whole
  request path (middleware, token, rate limit, pydantic, record_readings()) by the test client; the bodies are
  encoded before the clock starts, as a client would have them;
- the import: metrics.services.imports.import_readings() of the CSV file (all or nothing).
Both start from an empty readings table and queue the same rollup keys. Then posts once more under tracemalloc
for the peak memory. Prints the times, the memory, and last `ratio=<api/import>` (target 1.5 or less).
"""

import argparse
import csv
import importlib.util
import json
import os
import random
import resource
import statistics
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

from harness import scratch_database

BATCH = 10_000


def _import_bench():
    """bench/import.py as a module (its name is a keyword, so it cannot be imported by name)."""
    spec = importlib.util.spec_from_file_location("bench_import", Path(__file__).with_name("import.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bodies_from(path: str) -> list[bytes]:
    """The CSV file's readings as JSON request bodies of BATCH readings each."""
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    out = []
    for offset in range(0, len(rows), BATCH):
        readings = []
        for row in rows[offset : offset + BATCH]:
            reading = {"metric": row["metric"], "measured_at": row["measured_at"], "value": float(row["value"])}
            if row["person"]:
                reading["person"] = row["person"]
            if row["denominator"]:
                reading["denominator"] = float(row["denominator"])
            if row["note"]:
                reading["note"] = row["note"]
            readings.append(reading)
        out.append(json.dumps({"mode": "all_or_nothing", "readings": readings}).encode())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each side; the median is reported")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    bench_import = _import_bench()
    with scratch_database("api") as connection, tempfile.TemporaryDirectory() as folder:
        from django.conf import settings
        from django.test import Client
        from django.utils import timezone

        from api import services
        from config.celery import app as celery_app
        from metrics.models import Reading, RollupQueue
        from metrics.services import imports

        settings.DEBUG = False  # as in production: with DEBUG on, Django keeps every (large) INSERT in memory
        settings.ALLOWED_HOSTS = ["testserver"]
        celery_app.conf.broker_url = "memory://"  # the rollup nudge goes nowhere: no worker runs on this database
        manager, people, per_person, ratio, calls = bench_import.build(rng=rng)
        path = os.path.join(folder, "readings.csv")
        bench_import.write_csv(
            path, rows=args.rows, people=people, per_person=per_person, ratio=ratio, calls=calls, rng=rng
        )
        bodies = bodies_from(path)
        secret = services.issue_token(
            user=manager, by=manager, name="bench", scope="read_write", expires_at=timezone.now() + timedelta(days=1)
        ).secret
        client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
        print(
            f"{args.rows:,} readings: {len(bodies)} requests of {BATCH:,} "
            f"({sum(map(len, bodies)) / 1e6:.1f} MB of JSON), the CSV file {os.path.getsize(path) / 1e6:.1f} MB, "
            f"{connection.vendor}"
        )

        def clear():
            with connection.cursor() as cursor:
                for table in (Reading._meta.db_table, RollupQueue._meta.db_table):
                    cursor.execute(f"TRUNCATE {table}" if connection.vendor == "postgresql" else f"DELETE FROM {table}")

        def queued_keys() -> int:
            return RollupQueue.objects.values("metric_id", "day", "owner_type", "owner_id").distinct().count()

        def post_all():
            created = 0
            for body in bodies:
                answer = client.post("/api/v1/readings", body, content_type="application/json")
                assert answer.status_code == 200, answer.content[:500]
                created += answer.json()["created"]
            assert created == args.rows, created

        def import_file():
            with open(path, "rb") as file:
                report = imports.import_readings(file=file, recorded_by=manager)
            assert report.saved and report.created == args.rows, report.summary()

        api_times, import_times = [], []
        for _ in range(args.runs):
            clear()
            started = time.perf_counter()
            post_all()
            api_times.append(time.perf_counter() - started)
            queued_by_api = queued_keys()
            clear()
            started = time.perf_counter()
            import_file()
            import_times.append(time.perf_counter() - started)
            assert queued_keys() == queued_by_api  # the same rollup buckets queued either way

        clear()
        tracemalloc.start()
        post_all()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

        api_time, import_time = statistics.median(api_times), statistics.median(import_times)
        print(f"API, {len(bodies)} × POST /api/v1/readings:  {api_time:.2f} s ({args.rows / api_time:,.0f} readings/s)")
        print(f"CSV import of the same readings:  {import_time:.2f} s ({args.rows / import_time:,.0f} readings/s)")
        print(f"API peak memory: {peak / 1e6:.1f} MB traced (tracemalloc), process max RSS {max_rss:.0f} MiB")
        print(f"ratio={api_time / import_time:.2f}")


if __name__ == "__main__":
    main()
