"""Reading settings from the environment, with one clear line for each thing that is wrong."""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


class EnvError(ImproperlyConfigured):
    """An environment variable is missing or malformed; the message names it and says what it should be."""


def text(name: str, default: str | None = None, *, required_because: str | None = None, what: str = "") -> str:
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if required_because:
        raise EnvError(f"{name} is required {required_because}: set it to {what}.")
    return default or ""


def flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise EnvError(f"{name} must be true or false (got {raw!r}).")


def integer(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise EnvError(f"{name} must be a whole number (got {raw!r}).") from None
    if value < minimum:
        raise EnvError(f"{name} must be at least {minimum} (got {value}).")
    return value


def word_list(
    name: str, default: list[str] | None = None, *, required_because: str | None = None, what: str = ""
) -> list[str]:
    raw = text(name, required_because=required_because, what=what)
    if not raw:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def integer_list(name: str, default: list[int]) -> list[int]:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return list(default)
    try:
        return [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise EnvError(f"{name} must be comma-separated whole numbers, e.g. 7,1 (got {raw!r}).") from None


def database(name: str, *, default_sqlite: Path) -> dict:
    """DATABASE_URL as Django's DATABASES entry: PostgreSQL or SQLite, nothing else."""
    import dj_database_url

    raw = os.environ.get(name, "").strip()
    if not raw:
        return sqlite_database(default_sqlite)
    scheme = raw.split("://", 1)[0].lower() if "://" in raw else ""
    if scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        raise EnvError(
            f"{name} must look like postgres://USER:PASSWORD@HOST:5432/NAME or sqlite:////absolute/path.sqlite3"
            f" (got {redact(raw)!r})."
        )
    try:
        config = dj_database_url.parse(raw, conn_max_age=600, conn_health_checks=True)
    except ValueError as error:
        raise EnvError(f"{name} could not be read: {error} (got {redact(raw)!r}).") from None
    if config["ENGINE"].endswith("sqlite3"):
        return sqlite_database(Path(config["NAME"]))
    if not config.get("NAME"):
        raise EnvError(f"{name} must name a database after the last slash (got {redact(raw)!r}).")
    config["CONN_MAX_AGE"] = integer("DATABASE_CONN_MAX_AGE", 600)
    return config


def sqlite_database(path: Path) -> dict:
    """SQLite tuned for a web process and a Celery worker writing at once."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            # WAL lets readers run while the worker writes; IMMEDIATE avoids the upgrade deadlock that
            # makes a deferred transaction fail at once with "database is locked".
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
        # A file, not memory, so that a live server thread and a Celery worker process in the tests see the
        # same database as the test itself; one per test process, so two runs in one checkout do not collide.
        "TEST": {"NAME": str(path.with_name(f"{path.stem}-test-{os.getpid()}.sqlite3"))},
    }


def redact(url: str) -> str:
    """The URL with any password replaced, for error messages."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url
