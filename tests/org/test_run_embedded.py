"""`make run`'s runner: migrate, serve, run a worker with beat, and stop every process on Ctrl-C."""

import json
import os
import signal
import sys
import urllib.request

import pytest
from django.conf import settings

from tests.processes import Watched, eventually, free_port, processes_with_env

pytestmark = pytest.mark.slow


def healthz(port: int):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return json.loads(response.read())
    except OSError:
        return None


def test_it_serves_runs_worker_and_beat_and_leaves_no_process_behind(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["KEEL_DATA_DIR"] = str(tmp_path)
    runner = Watched(
        [sys.executable, "manage.py", "run_embedded", "--port", str(port), "--no-seed"], env=env, cwd=settings.BASE_DIR
    )
    try:
        health = eventually(lambda: healthz(port), timeout=90)
        assert health and health["status"] == "ok", runner.output[-3000:]
        assert health["database"]["engine"] == "sqlite"
        assert health["broker"]["transport"] == "filesystem"
        runner.wait_for("ready.", timeout=60)  # the worker
        runner.wait_for("beat: Starting", timeout=60)
        assert len(processes_with_env("KEEL_DATA_DIR", str(tmp_path))) >= 3  # runner, web server, worker

        runner.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        assert runner.process.wait(timeout=60) == 0
    finally:
        runner.stop()
    assert "Stopped: web server, worker and beat." in runner.output
    leftovers = eventually(lambda: not processes_with_env("KEEL_DATA_DIR", str(tmp_path)), timeout=10)
    assert leftovers, f"still running: {processes_with_env('KEEL_DATA_DIR', str(tmp_path))}"
    assert "Demo logins" in runner.output


def test_it_stops_everything_when_a_child_dies(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["KEEL_DATA_DIR"] = str(tmp_path)
    blocker = Watched(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], env=os.environ.copy(), cwd=tmp_path
    )  # takes the port, so the web server cannot start
    try:
        blocker.wait_for("Serving HTTP", timeout=10)
        runner = Watched(
            [sys.executable, "manage.py", "run_embedded", "--port", str(port), "--no-seed"],
            env=env,
            cwd=settings.BASE_DIR,
        )
        try:
            assert runner.process.wait(timeout=90) != 0
        finally:
            runner.stop()
        assert "stopped unexpectedly" in runner.output
        assert eventually(lambda: not processes_with_env("KEEL_DATA_DIR", str(tmp_path)), timeout=10)
    finally:
        blocker.stop()
