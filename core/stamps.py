"""Data stamps: a version per topic that changes whenever a table the topic watches is written; for cache keys.

Something derived from many rows (the compliance report, say) may be cached only as long as those rows stay as
they were. A topic names the tables whose writes may change what it derives (for a table written often for other
reasons, only the columns that matter). Database triggers, installed after every `migrate` (and `flush`), give
the topic a new version on every INSERT, DELETE, TRUNCATE and UPDATE (of those columns) of those tables, inside the
writing transaction:

- a reader sees the new version exactly when it can see the new rows: the version row commits with them;
- a version is a random number (about 52 bits of chance on PostgreSQL, 63 on SQLite), never the next of a
  count: a write that was rolled back, or a database restored from a backup, cannot hand a later state a version
  some cache entry of another state already has;
- every path that writes is seen: the ORM, bulk updates, raw SQL, another program on the same database.

A reader takes the version first (one query), then computes: rows committed in between may already show in what it
caches under the older version, which is harmless (the next reader asks under the newer one).

Cost to writers: the topic's row is written once per statement (PostgreSQL) or once per row (SQLite). On PostgreSQL
every topic's row is locked until commit, all of them at the first write, in one order (writers of watched tables
wait for each other whatever their topics, but two of them never deadlock on these rows, in whichever order they
write). So watch tables written at human pace (completions, programmes, people), never a table written in bulk all
day (readings).

Apps declare their topics in AppConfig.ready() with watch(). `migrate` drops the triggers before it starts and
installs them again when it ends, with a new version for every topic (so whatever was cached before is never
read again); tests/core/test_stamps.py checks them.
"""

import logging
import re
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

log = logging.getLogger(__name__)

TABLE = "core_datastamp"
RANDOM = {"postgresql": "(random() * 9.2e18)::bigint", "sqlite": "(random() & 9223372036854775807)"}
PREFIX = "keel_stamp_"  # every trigger this module installs is named so; others of that name are dropped
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class Watch:
    topic: str
    table: str
    columns: tuple[str, ...] = ()  # () = every UPDATE; else only an UPDATE that sets one of these


_watches: dict[tuple[str, str], Watch] = {}


def watch(topic: str, table: str, *, columns: tuple[str, ...] = ()) -> None:
    """Declare that writes to `table` (database table name; with `columns`, an UPDATE only when it sets one of
    them) change what `topic` derives. Idempotent; raises ValueError for a name that is not a plain identifier."""
    for name in (topic, table, *columns):
        if not _NAME.match(name):
            raise ValueError(f"not a plain lower-case identifier: {name!r}")
    _watches[(topic, table)] = Watch(topic, table, tuple(columns))


def watch_all(topic: str, tables) -> None:
    """watch() every entry of `tables`: a table name, or a (table name, columns) pair for a table whose UPDATEs
    count only when they set one of those columns."""
    for entry in tables:
        table, columns = (entry, ()) if isinstance(entry, str) else entry
        watch(topic, table, columns=tuple(columns))


def watches() -> list[Watch]:
    return sorted(_watches.values(), key=lambda w: (w.topic, w.table))


def version(topic: str, *, using: str = DEFAULT_DB_ALIAS) -> int | None:
    """The topic's current version (one query), or None when it has none yet or it cannot be read: then cache
    nothing, as there is no way to tell a state from an earlier one."""
    try:
        with connections[using].cursor() as cursor:
            cursor.execute(f"SELECT version FROM {TABLE} WHERE topic = %s", [topic])  # noqa: S608 (constant)
            row = cursor.fetchone()
    except DatabaseError as error:  # not migrated yet; the caller computes instead
        log.warning("data stamp %s unreadable: %s", topic, error)
        return None
    return row[0] if row else None


def _trigger_name(w: Watch) -> str:
    """PostgreSQL's name of the watch's trigger (one per topic and table; trigger names are per table there)."""
    return f"{PREFIX}{w.topic}"[:63]


def _update_event(w: Watch) -> str:
    """The trigger's UPDATE event: of the watched columns only, when the watch names some."""
    return "UPDATE OF " + ", ".join(f'"{c}"' for c in w.columns) if w.columns else "UPDATE"


def _drop(vendor: str, table: str, name: str) -> str:
    return (
        f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"'
        if vendor == "postgresql"
        else f'DROP TRIGGER IF EXISTS "{name}"'
    )


def _postgresql_statements(current: list[Watch], existing: set[tuple[str, str]]) -> list[str]:
    statements = [
        f"""CREATE OR REPLACE FUNCTION {PREFIX}bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Every topic's row, in one order, before this one's is written: a transaction writing a goal then a
    -- completion and another writing a completion then a goal would otherwise each hold what the other waits for.
    PERFORM 1 FROM {TABLE} ORDER BY topic FOR UPDATE;
    INSERT INTO {TABLE} (topic, version) VALUES (TG_ARGV[0], {RANDOM["postgresql"]})
    ON CONFLICT (topic) DO UPDATE SET version = EXCLUDED.version;
    RETURN NULL;
END $$""",  # noqa: S608 (constants)
    ]
    wanted = {(w.table, _trigger_name(w)) for w in current}
    for table, name in sorted(existing - wanted):
        statements.append(_drop("postgresql", table, name))
    for w in current:
        update = _update_event(w)
        statements.append(
            f'CREATE OR REPLACE TRIGGER "{_trigger_name(w)}" AFTER INSERT OR DELETE OR TRUNCATE OR {update} '
            f"ON \"{w.table}\" FOR EACH STATEMENT EXECUTE FUNCTION {PREFIX}bump('{w.topic}')"
        )
    return statements


def _sqlite_statements(current: list[Watch], existing: set[tuple[str, str]]) -> list[str]:
    # SQLite has no statement triggers and no CREATE OR REPLACE: one trigger per event and row, dropped and made
    # again each time (a table rebuilt by a migration loses its triggers; this puts them back).
    statements = [_drop("sqlite", table, name) for table, name in sorted(existing)]
    bump = (
        f"INSERT INTO {TABLE} (topic, version) VALUES ('{{topic}}', {RANDOM['sqlite']}) "  # noqa: S608 (constants)
        "ON CONFLICT (topic) DO UPDATE SET version = excluded.version;"
    )
    for w in current:
        update = _update_event(w)
        for event, suffix in (("INSERT", "i"), ("DELETE", "d"), (update, "u")):
            name = f"{PREFIX}{w.topic}_{w.table}_{suffix}"
            statements.append(
                f'CREATE TRIGGER "{name}" AFTER {event} ON "{w.table}" FOR EACH ROW '
                f"BEGIN {bump.format(topic=w.topic)} END"
            )
    return statements


def installed(using: str = DEFAULT_DB_ALIAS) -> set[tuple[str, str]]:
    """(table, trigger name) of every stamp trigger in the database."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND t.tgname LIKE %s",
                [PREFIX + "%"],
            )
        else:
            cursor.execute(
                "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s", [PREFIX + "%"]
            )
        return set(cursor.fetchall())


def install(using: str = DEFAULT_DB_ALIAS, **_kwargs) -> int:
    """Make the database's stamp triggers exactly what watch() declared (tables that do not exist yet are skipped;
    stale triggers dropped), and give each topic a new version. Connected to post_migrate; safe to run
    any number of times. Returns how many watches are installed. PostgreSQL (14 or later: CREATE OR REPLACE
    TRIGGER) and SQLite only, the two databases Keel runs on."""
    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return 0
    tables = set(connection.introspection.table_names())
    if TABLE not in tables:
        return 0
    current = [w for w in watches() if w.table in tables]
    existing = installed(using)
    statements = (_postgresql_statements if connection.vendor == "postgresql" else _sqlite_statements)(
        current, existing
    )
    # Every topic gets a new version: a write made while the triggers were away (a migrate drops them first)
    # must not leave an older cache entry looking current.
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        for topic in sorted({w.topic for w in current}):
            cursor.execute(
                f"INSERT INTO {TABLE} (topic, version) VALUES (%s, {RANDOM[connection.vendor]}) "  # noqa: S608 (constants)
                "ON CONFLICT (topic) DO UPDATE SET version = excluded.version",
                [topic],
            )
    return len(current)


def uninstall(using: str = DEFAULT_DB_ALIAS, **_kwargs) -> None:
    """Drop every stamp trigger. Connected to pre_migrate: migrations then never meet a trigger (SQLite refuses
    to drop or rename a column a trigger names; a table it rebuilds would lose them anyway), and install() puts
    them back, with new versions, afterwards.

    Every topic's version goes with them: until install() runs again no reader caches anything (version() is
    None), so a migrate that fails half way, leaving no trigger to see the writes that follow, cannot leave a
    cached page looking current."""
    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite") or TABLE not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")  # noqa: S608 (constant)
        for table, name in sorted(installed(using)):
            cursor.execute(_drop(connection.vendor, table, name))


def missing(using: str = DEFAULT_DB_ALIAS) -> list[Watch]:
    """The declared watches whose table has no stamp trigger in the database (a deploy that skipped `migrate`, a
    restore without triggers): their topics' caches could go stale. Empty when all are installed."""
    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return []
    tables = {table for table, _name in installed(using)}
    present = set(connection.introspection.table_names())
    return [w for w in watches() if w.table in present and w.table not in tables]


def check_installed(app_configs=None, databases=None, **_kwargs):
    """System check (run with `manage.py check --database default`): every declared stamp trigger is installed."""
    from django.core.checks import Error

    found = []
    for alias in databases or ():
        try:
            gaps = missing(alias)
        except DatabaseError:  # not migrated yet: migrate installs them
            continue
        if gaps:
            names = ", ".join(f"{w.table} ({w.topic})" for w in gaps)
            found.append(
                Error(
                    f"Data stamp triggers are missing on {names}: cached pages could show stale figures.",
                    hint="Run `python manage.py migrate`, which installs them (core/stamps.py).",
                    id="keel.E001",
                )
            )
    return found
