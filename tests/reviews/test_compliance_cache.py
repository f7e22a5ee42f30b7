"""The compliance report page caches its figures under the data stamp: never stale after a write, a new day, or
with the cache down."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from reviews.models import Completion, RefresherProgramme
from reviews.selectors import compliance
from reviews.services import training
from tests.goals.factories import QualityDefinitionFactory
from tests.helpers import UNREACHABLE_CACHE
from tests.reviews.factories import RefresherProgrammeFactory, complete, make_quiz, take


@pytest.fixture
def scene(org):
    definition = QualityDefinitionFactory(department=org.support, title="Support tickets")
    quiz = make_quiz(definition, pass_mark=75)
    RefresherProgrammeFactory(definitions=[definition], departments=[org.support, org.sales])
    complete(org.alice, definition, days_ago=10)
    return org, definition, quiz


def states(user):
    return {r.username: r.state for r in compliance.build_report_page(user=user).report.rows}


def test_a_second_look_comes_from_the_cache_and_says_the_same(scene, django_assert_num_queries):
    org, *_ = scene
    first = compliance.build_report_page(user=org.admin)
    with django_assert_num_queries(1):  # the data stamp only
        again = compliance.build_report_page(user=org.admin)
    assert again.report.rows == first.report.rows and again.report.counts == first.report.counts
    assert again.page.paginator.count == first.page.paginator.count


@pytest.mark.parametrize(
    "change",
    ["completion", "failed check", "person leaves", "person moves", "programme paused", "definition retired"],
)
def test_every_kind_of_write_shows_at_once(scene, change):
    org, definition, quiz = scene
    assert states(org.admin)["bob"] == training.DUE
    if change == "completion":
        complete(org.bob, definition, days_ago=0)
        assert states(org.admin)["bob"] == training.CURRENT
    elif change == "failed check":
        complete(org.bob, definition, days_ago=5)
        assert states(org.admin)["bob"] == training.CURRENT
        take(quiz, org.bob, wrong=3)
        assert states(org.admin)["bob"] == training.DUE
    elif change == "person leaves":
        org.bob.is_active = False
        org.bob.save()
        assert "bob" not in states(org.admin)
    elif change == "person moves":
        assert "bob" in states(org.alice)
        type(org.bob).objects.filter(pk=org.bob.pk).update(department=org.sales)
        assert "bob" not in states(org.alice)
    elif change == "programme paused":
        RefresherProgramme.objects.update(active=False)
        assert states(org.admin) == {}
    else:
        type(definition).objects.filter(pk=definition.pk).update(retired_at=datetime(2026, 1, 1, tzinfo=UTC))
        assert states(org.admin) == {}


def test_a_new_day_is_a_new_report(scene):
    org, _definition, _quiz = scene
    last = Completion.objects.get(person=org.alice)
    due_on = training.due_states(person_id=org.alice.pk)[0].due_date
    moment = datetime.combine(due_on - timedelta(days=training.DUE_SOON_DAYS + 1), datetime.min.time(), tzinfo=UTC)
    assert last.completed_at < moment
    with time_machine.travel(moment + timedelta(hours=12), tick=False):
        assert states(org.admin)["alice"] == training.CURRENT
    with time_machine.travel(moment + timedelta(days=1, hours=12), tick=False):
        assert states(org.admin)["alice"] == training.DUE


def test_scopes_and_narrowings_never_share_an_entry(scene):
    org, definition, _quiz = scene
    assert set(states(org.admin)) == {"alice", "bob", "charlie"}
    assert set(states(org.alice)) == {"alice", "bob"}
    assert set(states(org.charlie)) == {"charlie"}
    due = compliance.build_report_page(user=org.admin, state=training.DUE).report.rows
    assert {r.username for r in due} == {"bob", "charlie"}
    assert compliance.build_report_page(user=org.admin, definition_id=definition.pk + 99).report.rows == []


def test_with_the_cache_down_the_page_is_computed(scene, settings, client):
    org, *_ = scene
    settings.CACHES = UNREACHABLE_CACHE
    client.force_login(org.admin)
    response = client.get(reverse("reviews:compliance"))
    assert response.status_code == 200
    assert "People (3)" in response.content.decode()


def test_the_page_shows_a_completion_made_since_it_was_last_seen(scene, client):
    org, definition, _quiz = scene
    client.force_login(org.admin)
    url = reverse("reviews:compliance") + "?state=due"
    assert "Bob" in client.get(url).content.decode()
    complete(org.bob, definition, days_ago=0)
    cache_before = len(cache._cache) if hasattr(cache, "_cache") else None
    assert "Bob" not in client.get(url).content.decode()
    if cache_before is not None:
        assert len(cache._cache) > cache_before  # a new entry, under the new stamp
