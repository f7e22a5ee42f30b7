"""Shared fixtures: fast, isolated settings and the alice / bob / charlie organization.

Acme (root)                admin: staff, sees everything
├── Support   alice manages it          bob is a member of Support › Front Line
│   └── Front Line
└── Sales     charlie manages it (an outsider to Support)
"""

from types import SimpleNamespace

import pytest
import time_machine
from django.core.cache import cache
from hypothesis import settings as hypothesis_settings

from config.celery import app as celery_app
from tests.helpers import TEST_NOW
from tests.org.factories import DepartmentFactory, UserFactory

# Property tests check properties, not speed: Hypothesis's default 200 ms deadline per example failed them on a
# loaded two-core machine (a timed unit test in disguise), so it is off.
hypothesis_settings.register_profile("keel", deadline=None)
hypothesis_settings.load_profile("keel")


@pytest.fixture(autouse=True)
def _controlled_clock(request):
    """Travel to TEST_NOW for the test, except where real processes or a real browser share the clock.

    Browser tests (Chromium keeps its own clock and would drop cookies that expire in its past) and tests that
    start other processes (a Celery worker, the embedded runner) run on the real clock; those mark it.
    """
    node = request.node
    if any(node.get_closest_marker(name) for name in ("browser", "slow", "wall_clock")):
        yield None
        return
    with time_machine.travel(TEST_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _fast_isolated_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    cache.clear()
    # Tasks run inline when their transaction commits, so unit tests see their effects.
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def org(db):
    acme = DepartmentFactory(name="Acme", code="acme")
    support = DepartmentFactory(name="Support", code="support", parent=acme)
    front_line = DepartmentFactory(name="Front Line", code="front-line", parent=support)
    sales = DepartmentFactory(name="Sales", code="sales", parent=acme)
    alice = UserFactory(username="alice", first_name="Alice", last_name="Archer", department=support)
    bob = UserFactory(username="bob", first_name="Bob", last_name="Baker", department=front_line)
    charlie = UserFactory(username="charlie", first_name="Charlie", last_name="Cole", department=sales)
    admin = UserFactory(
        username="root", first_name="Ada", last_name="Admin", department=acme, is_staff=True, is_superuser=True
    )
    support.managers.add(alice)
    sales.managers.add(charlie)
    return SimpleNamespace(
        acme=acme,
        support=support,
        front_line=front_line,
        sales=sales,
        alice=alice,
        bob=bob,
        charlie=charlie,
        admin=admin,
    )
