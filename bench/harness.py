"""Shared set-up for benchmarks: a scratch database, Django configured against it, and timing."""

import os
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def scratch_database(name: str):
    """Point Django at a new database for this benchmark, migrate it, and drop it afterwards."""
    sys.path.insert(0, str(ROOT))
    # pickle probes for Jython's org.python.core when imported, which loads whichever "org" package comes first
    # (another checkout's, through an editable install) before ROOT is on the path: forget it, use this tree's.
    stale = sys.modules.get("org")
    if stale is not None and not str(getattr(stale, "__file__", "")).startswith(str(ROOT)):
        # (not `name`: that is the database's, and reusing it named every such bench's database keel_bench_org)
        for module in [n for n in sys.modules if n == "org" or n.startswith("org.")]:
            del sys.modules[module]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg2

        base, _ = url.rsplit("/", 1)
        admin = psycopg2.connect(url)
        admin.autocommit = True
        db = f"keel_bench_{name}"
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{db}"')
            cursor.execute(f'CREATE DATABASE "{db}"')
        os.environ["DATABASE_URL"] = f"{base}/{db}"
    else:
        path = ROOT / "var" / "bench" / f"{name}.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        admin = None
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    try:
        yield connection
    finally:
        connection.close()
        if admin is not None:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{db}"')
            admin.close()


def best_of(function, *, runs: int = 7) -> float:
    """Median wall time of several runs, in seconds (the first run warms caches and is dropped)."""
    function()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
