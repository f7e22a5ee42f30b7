"""Data stamps (core.stamps): the triggers give a topic a new version on every write of a watched table, never the
same version twice, and after every migrate they are exactly what the apps declared."""

import pytest
from django.db import connection, transaction

from core import stamps
from reviews.models import Completion
from reviews.selectors import compliance
from tests.goals.factories import QualityDefinitionFactory
from tests.reviews.factories import complete

TOPIC = compliance.STAMP


def test_every_declared_watch_has_its_triggers(db):
    names = stamps.installed()
    for w in stamps.watches():
        assert any(table == w.table for table, _name in names), w
    if connection.vendor == "sqlite":  # one per event and row
        assert len(names) == 3 * len(stamps.watches())


@pytest.mark.parametrize("write", ["create", "update", "delete", "raw"])
def test_any_write_of_a_watched_table_gives_a_new_version(org, write):
    definition = QualityDefinitionFactory(department=org.support)
    completion = complete(org.bob, definition, days_ago=3)
    before = stamps.version(TOPIC)
    assert before is not None
    if write == "create":
        complete(org.alice, definition, days_ago=1)
    elif write == "update":
        Completion.objects.filter(pk=completion.pk).update(score=90)  # a bulk update sends no signal
    elif write == "delete":
        completion.delete()
    else:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE reviews_completion SET score = 12 WHERE id = %s", [completion.pk])
    assert stamps.version(TOPIC) not in (None, before)


def test_only_the_watched_columns_of_people_count(org):
    before = stamps.version(TOPIC)
    org.bob.last_login = org.bob.date_joined
    org.bob.save(update_fields=["last_login"])  # every sign-in does this
    assert stamps.version(TOPIC) == before
    org.bob.first_name = "Robert"
    org.bob.save(update_fields=["first_name"])
    assert stamps.version(TOPIC) != before


def test_a_rolled_back_write_never_lends_its_version_to_a_later_one(org):
    definition = QualityDefinitionFactory(department=org.support)
    before = stamps.version(TOPIC)
    with pytest.raises(RuntimeError), transaction.atomic():
        complete(org.bob, definition, days_ago=1)
        seen_inside = stamps.version(TOPIC)
        raise RuntimeError("undo")
    assert stamps.version(TOPIC) == before
    complete(org.bob, definition, days_ago=2)
    assert stamps.version(TOPIC) not in (before, seen_inside)


def test_install_puts_back_a_lost_trigger_and_drops_a_stale_one(db):
    table = "reviews_completion"
    lost = {name for t, name in stamps.installed() if t == table}
    with connection.cursor() as cursor:
        for name in lost:
            if connection.vendor == "postgresql":
                cursor.execute(f'DROP TRIGGER "{name}" ON {table}')
            else:
                cursor.execute(f'DROP TRIGGER "{name}"')
    stamps.watch("bench_only", "reviews_option")
    try:
        stamps.install()
        assert lost <= {name for t, name in stamps.installed() if t == table}
        assert any(t == "reviews_option" for t, _ in stamps.installed())
    finally:
        stamps._watches.pop(("bench_only", "reviews_option"))
    stamps.install()
    assert not any(t == "reviews_option" for t, _ in stamps.installed())
    assert stamps.install() == len(stamps.watches())  # idempotent


def test_a_name_that_is_not_a_plain_identifier_is_refused():
    with pytest.raises(ValueError, match="identifier"):
        stamps.watch("x'; DROP TABLE org_user; --", "reviews_completion")


def test_no_version_means_nothing_is_cached(db):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_datastamp")
    assert stamps.version(TOPIC) is None


def test_install_gives_every_topic_a_new_version(db):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_datastamp")
    stamps.install()
    first = stamps.version(TOPIC)
    assert first is not None
    stamps.install()
    assert stamps.version(TOPIC) not in (None, first)


def test_migrate_finds_no_trigger_and_leaves_them_all(db):
    from django.core.management import call_command
    from django.db.models.signals import pre_migrate

    seen = []

    def look(**_kwargs):
        seen.append(stamps.installed())

    pre_migrate.connect(look, dispatch_uid="test-look")  # connected after core's: runs after the triggers went
    try:
        before = stamps.installed()
        call_command("migrate", verbosity=0)
    finally:
        pre_migrate.disconnect(dispatch_uid="test-look")
    assert seen and not seen[-1]
    assert stamps.installed() == before


def test_a_migrate_that_fails_leaves_nothing_cacheable(org, monkeypatch):
    """A migrate drops the triggers first and puts them back only when it ends: one that fails half way leaves
    writes unseen, so no version may be left for a reader to cache under."""
    from django.core.management import call_command
    from django.db.migrations.executor import MigrationExecutor

    assert stamps.version(TOPIC) is not None

    def fail(*_args, **_kwargs):
        raise RuntimeError("a migration failed")

    monkeypatch.setattr(MigrationExecutor, "migrate", fail)
    with pytest.raises(RuntimeError):
        call_command("migrate", verbosity=0)
    try:
        assert not stamps.installed()
        complete(org.alice, QualityDefinitionFactory(department=org.support), days_ago=1)  # no trigger sees it
        assert stamps.version(TOPIC) is None, "a version outlived the triggers: a cached page hides the write"
    finally:
        stamps.install()


def test_the_system_check_names_a_table_whose_triggers_are_missing(db):
    from django.core.checks import run_checks

    assert not [e for e in run_checks(databases=["default"]) if e.id == "keel.E001"]
    stamps.uninstall()
    try:
        [error] = [e for e in run_checks(databases=["default"]) if e.id == "keel.E001"]
        assert "reviews_completion (compliance)" in error.msg and "migrate" in error.hint
    finally:
        stamps.install()
    assert not stamps.missing()
