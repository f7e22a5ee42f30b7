"""An empty page points each role to its next useful step, and never to one the role cannot take."""

import pytest
from django.urls import reverse

from tests.goals.factories import GoalCycleFactory

NEXT_STEP_ON_GOALS = {
    "admin": "Set an organization goal",
    "alice": "Set a goal",
    "bob": "My metrics",
}


@pytest.mark.parametrize("who", ["admin", "alice", "bob"])
def test_a_cycle_without_goals_says_what_each_role_can_do(client, org, who):
    cycle = GoalCycleFactory()
    client.force_login(getattr(org, who))
    html = client.get(reverse("goals:index"), {"cycle": cycle.pk}).content.decode()
    assert NEXT_STEP_ON_GOALS[who] in html
    assert ("goals/new/" in html) == (who != "bob")


@pytest.mark.parametrize(("who", "offered"), [("admin", True), ("alice", False), ("bob", False)])
def test_no_review_sessions_ahead_offers_scheduling_only_to_admins(client, org, who, offered):
    client.force_login(getattr(org, who))
    html = client.get(reverse("reviews:index")).content.decode()
    assert "No sessions ahead" in html
    assert (reverse("reviews:schedule") in html) == offered


def test_an_employee_without_scorecards_is_sent_to_their_own_figures(client, org):
    client.force_login(org.bob)
    html = client.get(reverse("metrics:scorecards")).content.decode()
    assert "No scorecards for you" in html and f'href="{reverse("metrics:index")}"' in html
