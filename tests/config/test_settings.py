"""Settings from the environment: one clear line for each mistake, and a production mode that passes --deploy."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

MANAGE = str(settings.BASE_DIR / "manage.py")


def manage(*args, tmp_path, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    clean |= {"KEEL_DATA_DIR": str(tmp_path)} | env
    return subprocess.run([sys.executable, MANAGE, *args], env=clean, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DJANGO_DEBUG": "false"}, "SECRET_KEY is required when DJANGO_DEBUG=false"),
        ({"DJANGO_DEBUG": "false", "SECRET_KEY": "x" * 60}, "ALLOWED_HOSTS is required when DJANGO_DEBUG=false"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG must be true or false (got 'maybe')"),
        ({"DATABASE_URL": "mysql://keel:pw@db/keel"}, "DATABASE_URL must look like postgres://"),
        ({"DATABASE_URL": "postgres://keel:pw@db:5432/"}, "DATABASE_URL must name a database"),
        ({"KEEL_LOGIN_FAILURE_LIMIT": "many"}, "KEEL_LOGIN_FAILURE_LIMIT must be a whole number (got 'many')"),
    ],
)
def test_a_bad_environment_gives_one_clear_line(tmp_path, env, expected):
    result = manage("check", tmp_path=tmp_path, **env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr


def test_a_database_password_is_never_printed(tmp_path):
    result = manage("check", tmp_path=tmp_path, DATABASE_URL="mysql://keel:hunter2@db/keel")
    assert "hunter2" not in result.stderr


def test_production_mode_passes_the_deploy_check_without_warnings(tmp_path):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        tmp_path=tmp_path,
        DJANGO_DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="keel.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_embedded_default_needs_no_environment(tmp_path):
    result = manage("check", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
