"""The goal cascade's tree comes from the cache until something it shows changes: a new figure rolled up, a goal
edited or moved, a milestone done, a new day, or another viewer with another view."""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from goals.models import Alignment, Goal, KeyResult
from tests.goals.factories import GoalFactory, record_weekly, this_year
from tests.goals.test_goal_pages import titles, tree_rows
from tests.helpers import UNREACHABLE_CACHE, count_queries
from tests.metrics.factories import MetricFactory


@pytest.fixture
def scene(org, cycle):
    metric = MetricFactory(department=org.support, unit="%", decimals=1)
    record_weekly(org, metric, [70], first=date(this_year(), 1, 5))
    top = GoalFactory(cycle=cycle, title="Delight customers", owner=org.admin)
    measured = GoalFactory(
        cycle=cycle,
        department=org.support,
        title="Resolve first time",
        owner=org.alice,
        metric=metric,
        baseline=60,
        target=80,
        direction="increase",
        parents=[top],
    )
    planned = GoalFactory(
        cycle=cycle,
        department=org.sales,
        title="Promise what we keep",
        owner=org.charlie,
        parents=[top],
        milestones=[("Script", 1, None), ("Training", 1, None)],
    )
    return {"metric": metric, "top": top, "measured": measured, "planned": planned}


@pytest.fixture
def cycle(db):
    from tests.goals.factories import GoalCycleFactory

    return GoalCycleFactory()


def percent(client, title) -> str:
    rows = tree_rows(client.get(reverse("goals:index")))
    return next(p for _kind, t, p in rows if t == title)


def test_a_second_view_comes_from_the_cache(client, org, scene):
    client.force_login(org.admin)
    cold = count_queries(client, reverse("goals:index"))
    assert count_queries(client, reverse("goals:index")) == cold - 3  # goals, alignments, rollups
    assert percent(client, "Resolve first time") == "50%"


def test_a_new_figure_rolled_up_shows_at_once(client, org, scene):
    client.force_login(org.admin)
    assert percent(client, "Resolve first time") == "50%"
    record_weekly(org, scene["metric"], [75], first=date(this_year(), 1, 12))  # readings, then a rollup run
    assert percent(client, "Resolve first time") == "75%"


@pytest.mark.parametrize("change", ["milestone", "title", "target", "owner renamed", "moved away"])
def test_a_change_to_what_the_tree_shows_shows_at_once(client, org, scene, change):
    client.force_login(org.admin)
    before = tree_rows(client.get(reverse("goals:index")))
    if change == "milestone":
        KeyResult.objects.filter(goal=scene["planned"], title="Script").update(done_at=date(this_year(), 1, 2))
        assert percent(client, "Promise what we keep") == "50%"
    elif change == "title":
        Goal.objects.filter(pk=scene["top"].pk).update(title="Delight everyone")
        assert "Delight everyone" in titles(client.get(reverse("goals:index")))
    elif change == "target":
        Goal.objects.filter(pk=scene["measured"].pk).update(target=65)
        assert percent(client, "Resolve first time") == "100%"
    elif change == "owner renamed":
        type(org.alice).objects.filter(pk=org.alice.pk).update(last_name="Aster")
        assert "Alice Aster" in client.get(reverse("goals:index")).content.decode()
    else:
        Alignment.objects.filter(child=scene["measured"]).delete()
        assert tree_rows(client.get(reverse("goals:index"))) != before


def test_each_viewer_gets_their_own_tree(client, org, scene):
    client.force_login(org.admin)
    assert set(titles(client.get(reverse("goals:index")))) == {
        "Delight customers",
        "Resolve first time",
        "Promise what we keep",
    }
    client.force_login(org.charlie)
    assert titles(client.get(reverse("goals:index"))) == ["Delight customers", "Promise what we keep"]
    client.force_login(org.bob)
    assert "Promise what we keep" not in titles(client.get(reverse("goals:index")))


def test_a_new_day_is_a_new_tree(client, org, scene):
    client.force_login(org.admin)
    today = date.today()
    with time_machine.travel(today, tick=False):
        cold = count_queries(client, reverse("goals:index"))
        assert count_queries(client, reverse("goals:index")) == cold - 3
    with time_machine.travel(today + timedelta(days=1), tick=False):
        assert count_queries(client, reverse("goals:index")) == cold  # expected progress moves with the day


def test_with_the_cache_down_the_tree_is_computed(client, org, scene, settings):
    settings.CACHES = UNREACHABLE_CACHE
    client.force_login(org.admin)
    assert client.get(reverse("goals:index")).status_code == 200
    assert percent(client, "Resolve first time") == "50%"
