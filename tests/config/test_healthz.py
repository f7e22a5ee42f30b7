"""GET /healthz: the state of the database and the broker, for people and load balancers."""

import json
import os
import subprocess
import sys
from unittest import mock

from django.conf import settings
from django.db import connection


def test_it_answers_ok_without_signing_in(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True, "engine": connection.vendor}
    assert body["broker"]["ok"] is True


def test_it_reports_an_unreachable_broker_as_degraded(client, db):
    with mock.patch("kombu.Connection.ensure_connection", side_effect=ConnectionRefusedError("no broker")):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["broker"] == {
        "ok": False,
        "transport": response.json()["broker"]["transport"],
        "error": "ConnectionRefusedError",
    }


def test_it_answers_503_when_the_database_cannot_be_reached(tmp_path):
    # A real process with a DATABASE_URL nothing listens on: no mocks between the view and the driver.
    script = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(json.dumps({'code': r.status_code, 'body': r.json()}))"
    )
    env = os.environ | {
        "DATABASE_URL": "postgres://keel@127.0.0.1:9/keel",
        "KEEL_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PGCONNECT_TIMEOUT": "2",
    }
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["code"] == 503
    assert outcome["body"]["status"] == "down"
    assert outcome["body"]["database"]["ok"] is False
    assert outcome["body"]["database"]["error"] == "OperationalError"
