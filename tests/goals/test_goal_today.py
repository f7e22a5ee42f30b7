"""Today's "Your goals": the goals a person owns in a running cycle that had no check-in for two weeks."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from goals.models import CheckIn
from goals.services import goals as goal_services
from goals.today import your_goals
from tests.goals.factories import CheckInFactory, GoalCycleFactory, GoalFactory


@pytest.fixture
def cycle(db):
    return GoalCycleFactory()


def section(rf, person):
    request = rf.get("/")
    request.user = person
    return your_goals(request)


def test_it_lists_owned_goals_without_a_recent_check_in(rf, org, cycle):
    quiet = GoalFactory(cycle=cycle, owner=org.bob, title="Quiet goal")
    recent = GoalFactory(cycle=cycle, owner=org.bob, title="Recent goal")
    stale = GoalFactory(cycle=cycle, owner=org.bob, title="Stale goal")
    CheckInFactory(goal=recent)
    old = CheckInFactory(goal=stale)
    CheckIn.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=15))
    GoalFactory(cycle=cycle, owner=org.alice, title="Not bob's")
    data = section(rf, org.bob)
    assert data["count"] == 3
    assert [g.title for g in data["due"]] == ["Quiet goal", "Stale goal"]
    assert quiet in data["due"]


def test_it_says_nothing_to_someone_without_current_goals(rf, org, cycle):
    GoalFactory(cycle=cycle, owner=org.alice)
    assert section(rf, org.bob) is None


def test_goals_of_a_closed_cycle_need_no_check_in(rf, org, cycle):
    GoalFactory(cycle=cycle, owner=org.bob)
    goal_services.close_cycle(cycle=cycle, by=org.admin)
    assert section(rf, org.bob) is None


def test_it_takes_one_query(rf, org, cycle, django_assert_num_queries):
    for _n in range(5):
        CheckInFactory(goal=GoalFactory(cycle=cycle, owner=org.bob))
    with django_assert_num_queries(1):
        section(rf, org.bob)


def test_today_shows_the_section_with_a_check_in_button(client, org, cycle):
    goal = GoalFactory(cycle=cycle, owner=org.bob, title="Reply within four hours")
    client.force_login(org.bob)
    html = client.get(reverse("today")).content.decode()
    assert 'id="today-goals"' in html and "Reply within four hours" in html
    assert reverse("goals:check_in", args=[goal.pk]) in html
