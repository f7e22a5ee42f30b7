"""The demo's goals: a cycle for this year with organization, division and team goals, check-ins and varied
progress, which the demo manager and employee can see; deterministic and safe to run again."""

import random

import pytest
from django.core.management import call_command

from core import periods
from goals import smart
from goals.demo import seed_goals
from goals.models import Alignment, CheckIn, Goal, GoalChange, GoalCycle, KeyResult
from goals.selectors import progress
from goals.selectors.visibility import visible_goals
from org.models import User


@pytest.fixture(autouse=True)
def _debug_on(settings):
    settings.DEBUG = True  # seed_demo is for DEBUG installations


def snapshot():
    return sorted(
        Goal.objects.values_list(
            "title", "department__code", "owner__username", "confidence", "baseline", "target", "direction", "due_date"
        )
    ), sorted(CheckIn.objects.values_list("goal__title", "confidence", "note", "progress", "created_at"))


def test_the_demo_sets_a_cycle_of_cascading_goals(db):
    call_command("seed_demo", "--seed", "3")
    cycle = GoalCycle.objects.get(name=str(periods.today().year))
    goals = list(Goal.objects.filter(cycle=cycle).select_related("cycle", "department", "owner", "metric"))
    organization = [g for g in goals if g.department is None]
    assert 3 <= len(organization) <= 4
    assert {g.department.depth for g in goals if g.department} == {1, 2}  # divisions and teams
    assert any(g.metric_id for g in goals) and KeyResult.objects.filter(goal__cycle=cycle).exists()
    assert all(Alignment.objects.filter(child=g).exists() for g in goals if g.department)
    assert CheckIn.objects.filter(goal__cycle=cycle).count() >= len(goals) * 2

    computed = progress.for_cycle(cycle)
    states = {computed.progress[g.pk].state for g in goals}
    assert len(states) >= 2  # progress varies
    for goal in goals:  # every demo goal passes its letters
        parents = [computed.goals[p] for p, _w in computed.graph.parents.get(goal.pk, ())]
        letters = smart.check_goal(goal, parents=parents, key_results=list(goal.key_results.all()))
        assert not [letter.message for letter in letters if letter.blocking], goal.title

    manager, employee = User.objects.get(username="manager"), User.objects.get(username="employee")
    for person in (manager, employee):
        mine = visible_goals(person).filter(cycle=cycle)
        assert mine.filter(department__isnull=False).exists()
    assert Goal.objects.filter(cycle=cycle, owner=employee).exists()  # so "Your goals" shows on Today

    first = snapshot()
    call_command("seed_demo", "--seed", "3")
    assert snapshot() == first

    # The same generator gives the same goals again.
    CheckIn.objects.all().delete()
    GoalChange.objects.all().delete()
    Alignment.objects.all().delete()
    KeyResult.objects.all().delete()
    Goal.objects.all().delete()
    cycle.delete()
    seed_goals(rng=random.Random("3:goals"), size="small")
    assert snapshot()[0] == first[0]
    assert [c[:4] for c in snapshot()[1]] == [c[:4] for c in first[1]]
