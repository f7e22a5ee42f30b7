"""Serve Keel on this machine with nothing else installed: SQLite, the web server, a Celery worker and beat.

Every child runs in its own process group and is told to die with this process; Ctrl-C (or SIGTERM) stops
them all, so nothing is left running.
"""

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from core import demo

PR_SET_PDEATHSIG = 1
GRACE_SECONDS = 10


def site_url(host: str, port: int) -> str:
    """The address people reach this server at: host and port as served (a wildcard host is named by this
    machine's name, which other machines can reach; an IPv6 address is bracketed)."""
    if host in ("", "0.0.0.0", "::"):  # noqa: S104  (naming the wildcard, not binding to it)
        host = socket.gethostname()
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def child_environment(*, host: str, port: int, environ: dict[str, str]) -> dict[str, str]:
    """The children's environment: ours, plus KEEL_SITE_URL set to the served address unless it is set already,
    so every e-mailed link (answer links, accept or decline, calendar files) points where Keel really runs."""
    env = dict(environ)
    if not env.get("KEEL_SITE_URL", "").strip():
        env["KEEL_SITE_URL"] = site_url(host, port)
    return env


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if the supervisor dies, even by SIGKILL (Linux only)."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Command(BaseCommand):
    help = "Migrate, seed the demo, and run the web server, a Celery worker and Celery beat until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-seed", action="store_true", help="Do not create or complete the demo data.")

    def handle(self, *args, host, port, no_seed, **options):
        if settings.REDIS_URL:
            self.stdout.write("REDIS_URL is set: the worker uses Redis; this is still a single-machine run.")
        self.environment = child_environment(host=host, port=port, environ=dict(os.environ))
        # This process seeds the demo, which may queue e-mails too: its links follow the same address.
        settings.KEEL_SITE_URL = self.environment["KEEL_SITE_URL"].rstrip("/")
        call_command("migrate", interactive=False, verbosity=0)
        if not no_seed:
            call_command("seed_demo", stdout=self.stdout)
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        children = {
            "web": [*manage, "runserver", f"{host}:{port}"],
            "worker": [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--beat",
                "--loglevel=INFO",
                "--concurrency=2",
                "--hostname=embedded@%h",
            ],
        }
        self.processes: dict[str, subprocess.Popen] = {}
        self.stopping = False
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        try:
            for name, command in children.items():
                self._start(name, command)
            url = f"{settings.KEEL_SITE_URL}/"
            self.stdout.write(
                self.style.SUCCESS(
                    f"\nKeel is starting at {url}\n"
                    f"Demo logins (password {demo.DEMO_PASSWORD}): {', '.join(demo.DEMO_LOGINS)}\n"
                    "Press Ctrl-C to stop the web server, the worker and beat.\n"
                )
            )
            exited = self._wait_for_first_exit()
        finally:
            self._stop_all()
        if exited and not self.stopping:
            raise CommandError(f"the {exited} process stopped unexpectedly; everything else was stopped too.")
        self.stdout.write("Stopped: web server, worker and beat.")

    def _start(self, name: str, command: list[str]) -> None:
        process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            process_group=0,
            preexec_fn=_die_with_parent,
            env=self.environment,
        )
        self.processes[name] = process
        threading.Thread(target=self._relay, args=(name, process), daemon=True).start()

    def _relay(self, name: str, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.stdout.write(f"{name:>6} | {line.rstrip()}")

    def _on_signal(self, signum, frame) -> None:
        self.stopping = True

    def _wait_for_first_exit(self) -> str | None:
        while not self.stopping:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    return name
            time.sleep(0.2)
        return None

    def _stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()  # the worker finishes its current tasks (warm shutdown)
        deadline = time.monotonic() + GRACE_SECONDS
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        for process in self.processes.values():
            self._signal_group(process, signal.SIGKILL)  # whatever ignored SIGTERM, and any grandchildren
            process.wait()

    @staticmethod
    def _signal_group(process: subprocess.Popen, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)
