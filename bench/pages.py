"""Server time of Keel's heaviest pages on the large demo organization, against a minimal signed-in page.

Builds the large demo (108 departments, 5,241 people, half a year of readings and rollups, goals, reviews,
campaigns) in a scratch database, serves it with gunicorn (2 sync workers, 127.0.0.1, DEBUG off, static files
collected, the cache in Redis when REDIS_URL is set), signs in as demo people (sessions written directly, as a
sign-in would), and times each page over loopback, first with one client and then with --clients clients at
once. The baseline is a signed-in page with nothing of its own (session, user, navigation, base template: see
pages_site.py), timed in the same run. Prints p50/p95 and requests per second per page and client count, and last
`ratio=<slowest page's p50 / baseline p50>` at one client.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x REDIS_URL=redis://127.0.0.1:6379/3 python bench/pages.py

--reuse serves the database DATABASE_URL names as it is (already seeded with the large demo) and drops nothing.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager, nullcontext
from http.client import HTTPConnection
from pathlib import Path

from harness import ROOT, scratch_database

BENCH = Path(__file__).resolve().parent
BASELINE = "minimal signed-in page"
SECRET_KEY = "bench-pages-" + "x" * 50  # the server's and this process's: a session's auth hash is keyed by it


def seed() -> None:
    from io import StringIO

    from django.core.management import call_command

    call_command("seed_demo", size="large", force=True, stdout=StringIO())


def sign_in(username: str) -> str:
    """A session for the person, as django.contrib.auth.login() would store it; returns the session key."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from org.models import User

    user = User.objects.get(username=username)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "org.auth_backends.UsernameOrEmailBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def pages() -> list[tuple[str, str, str]]:
    """(label, signed-in person, path) of every page timed, the baseline first."""
    from django.db.models import Count

    from customers.models import Campaign
    from org.models import Department

    service = Department.objects.get(code="customer-service")
    root = Department.objects.get(parent=None)
    campaign = Campaign.objects.annotate(answered=Count("responses")).order_by("-answered", "pk").first()
    found = [
        (BASELINE, "manager", "/bench/minimal/"),
        ("My metrics", "employee", "/metrics/"),
        ("department dashboard", "manager", f"/metrics/departments/{service.pk}/"),
        ("scorecard, Customer Service", "manager", f"/metrics/scorecards/{service.pk}/"),
        ("scorecard, organization", "admin", f"/metrics/scorecards/{root.pk}/"),
        ("goal cascade", "admin", "/goals/"),
        ("compliance report", "admin", "/reviews/training/compliance/"),
    ]
    if campaign is not None:
        found.append(("campaign results", "admin", f"/customers/results/{campaign.pk}/"))
    return found


@contextmanager
def gunicorn(*, port: int, database_url: str):
    """gunicorn serving pages_site:application with production settings; stopped (by its own pid) afterwards."""
    static = tempfile.mkdtemp(prefix="keel-bench-pages-static-")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": static,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": f"{BENCH}{os.pathsep}{ROOT}",
    }
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    log = open(Path(static) / "gunicorn.log", "w")  # noqa: SIM115  (closed below)
    server = subprocess.Popen(  # noqa: S603  (our own interpreter and arguments)
        [
            sys.executable,
            "-m",
            "gunicorn",
            "pages_site:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--chdir",
            str(ROOT),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get(port, "/healthz", None)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"gunicorn did not start; see {log.name}") from None
                time.sleep(0.3)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def get(port: int, path: str, session: str | None) -> tuple[int, int]:
    """One GET over a fresh loopback connection (gunicorn's sync workers close each one); (status, body bytes)."""
    connection = HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
    if session:
        headers["Cookie"] = f"sessionid={session}"
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, len(body)


def load(port: int, path: str, session: str, *, clients: int, requests: int, seconds: float) -> tuple[list, float]:
    """`clients` threads each GET the path in a loop, until `requests` in all or `seconds` have gone by.
    Returns each request's time (seconds) and the elapsed wall time."""
    times: list[float] = []
    lock = threading.Lock()
    started = time.perf_counter()
    stop = started + seconds

    def client():
        while time.perf_counter() < stop:
            with lock:
                if len(times) >= requests:
                    return
            begin = time.perf_counter()
            status, _size = get(port, path, session)
            took = time.perf_counter() - begin
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")
            with lock:
                times.append(took)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times, time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8121)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=40, help="requests per page with one client")
    parser.add_argument("--seconds", type=float, default=10.0, help="at most this long per page and client count")
    parser.add_argument("--only", default="", help="time only the pages whose label contains this (and the baseline)")
    parser.add_argument("--reuse", action="store_true", help="serve DATABASE_URL's database as it is (seeded)")
    args = parser.parse_args()
    random.seed(0)
    os.environ["SECRET_KEY"] = SECRET_KEY
    if args.reuse:
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django

        django.setup()
        from django.db import connection

        context = nullcontext(connection)
    else:
        context = scratch_database("pages")
    with context as connection:
        from org.models import Department, User

        if not args.reuse:
            begin = time.perf_counter()
            seed()
            print(f"seeded the large demo in {time.perf_counter() - begin:.0f} s")
        print(f"{Department.objects.count()} departments, {User.objects.count()} people, {connection.vendor}")
        timed = [p for p in pages() if p[0] == BASELINE or args.only in p[0]]
        sessions = {who: sign_in(who) for who in {who for _label, who, _path in timed}}
        database_url = os.environ["DATABASE_URL"]
        connection.close()
        results: dict[tuple[str, int], tuple[float, float, float, int]] = {}
        with gunicorn(port=args.port, database_url=database_url):
            for label, who, path in timed:  # warm each worker: templates compiled, connections open
                for _ in range(4):
                    status, _size = get(args.port, path, sessions[who])
                    if status != 200:
                        raise RuntimeError(f"{label} ({path}) answered {status}")
            for clients, requests in ((1, args.requests), (args.clients, args.requests * args.clients)):
                for label, who, path in timed:
                    times, elapsed = load(
                        args.port, path, sessions[who], clients=clients, requests=requests, seconds=args.seconds
                    )
                    p50, p95 = statistics.median(times), percentile(times, 0.95)
                    results[(label, clients)] = (p50, p95, len(times) / elapsed, len(times))
                    print(
                        f"{clients:>2} client{'s' if clients > 1 else ' '}  {label:<28} p50 {p50 * 1000:7.1f} ms  "
                        f"p95 {p95 * 1000:7.1f} ms  {len(times) / elapsed:6.1f} req/s  ({len(times)} requests)",
                        flush=True,
                    )
        base = results[(BASELINE, 1)][0]
        slowest = max((label for label, _who, _path in timed if label != BASELINE), key=lambda x: results[(x, 1)][0])
        print(f"slowest page at one client: {slowest} ({results[(slowest, 1)][0] * 1000:.1f} ms p50)")
        print(f"ratio={results[(slowest, 1)][0] / base:.2f}")


if __name__ == "__main__":
    main()
