"""A goal starts where its metric stands: the baseline defaults to the current figure, a target the metric
already meets is refused by the Measurable letter (naming the figure), and a vague goal fails Specific."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core import periods
from core.exceptions import RuleViolation
from goals.models import Goal
from goals.selectors import progress
from goals.services import goals as goal_services
from metrics.models import Metric, Reading
from metrics.services import rollups
from metrics.services.readings import ReadingRow, record_readings
from tests.goals.factories import GoalCycleFactory, GoalFactory, goal_data, record_weekly
from tests.goals.test_goal_pages import form_data
from tests.metrics.factories import MetricFactory


def weeks_ago(weeks: int):
    """The Monday that starts the week `weeks` before this one (read from the test's clock, never the wall's)."""
    return periods.shift(periods.bucket_start(periods.today(), periods.WEEK), periods.WEEK, -weeks)


@pytest.fixture
def cycle(db):
    return GoalCycleFactory(name="Now", start=weeks_ago(8), end=weeks_ago(1) + timedelta(days=300))


@pytest.fixture
def top(org, cycle):
    return GoalFactory(cycle=cycle, title="Delight customers", owner=org.admin)


def fcr_at(org, value, *, decimals=1, direction=Metric.Direction.HIGHER, weeks=1):
    """First-contact resolution of Support, which stood at `value` `weeks` weeks ago (and has no later figure)."""
    fcr = MetricFactory(department=org.support, name="First-contact resolution", decimals=decimals, direction=direction)
    record_weekly(org, fcr, [value], first=weeks_ago(weeks))
    return fcr


def metric_goal(org, top, fcr, **changes):
    values = dict(
        owner=org.bob,
        parents=[(top, 1.0)],
        metric=fcr,
        baseline=None,
        target=85,
        direction="increase",
        key_results=[],
        due_date=top.cycle.end,
    )
    return goal_data(**(values | changes))


def create(org, cycle, data):
    return goal_services.create_goal(by=org.alice, cycle=cycle, department=org.support, data=data)


def test_a_goal_without_a_baseline_starts_where_its_metric_stands(org, cycle, top):
    fcr = fcr_at(org, 77.5)
    goal = create(org, cycle, metric_goal(org, top, fcr, target=85))
    assert goal.baseline == 77.5
    result = progress.for_cycle(cycle).progress[goal.pk]
    assert (result.percent, result.bar) == (0, 0)


def test_the_issues_goal_is_refused_first_for_its_vague_words(org, cycle, top):
    # Before issue 12 this goal passed every letter and was created 100 % done and On track.
    fcr = fcr_at(org, 77.5, direction=Metric.Direction.LOWER)
    data = metric_goal(
        org, top, fcr, title="Be better", description="Do better.", baseline=80, target=77.6, direction="decrease"
    )
    with pytest.raises(RuleViolation) as raised:
        create(org, cycle, data)
    assert raised.value.field == "title"
    assert raised.value.message == (
        "Specific: “Be better” does not say what gets better: name the outcome in the "
        "title, e.g. “Answer customers faster” or “Fewer returns from the web shop”."
    )
    data.title = "Resolve calls on first contact"
    with pytest.raises(RuleViolation) as raised:
        create(org, cycle, data)
    assert raised.value.field == "description"
    assert raised.value.message.startswith(
        "Specific: “Do better.” is too vague to check: say what will be "
        "different, for whom and how anyone will see it, e.g. “Customers get"
    )
    assert Goal.objects.count() == 1


@pytest.mark.parametrize(
    ("decimals", "baseline", "target", "direction", "shown"),
    [
        (1, 80, 77.6, "decrease", "77.5%"),  # 77.5 is already below 77.6
        (1, 70, 77.5, "increase", "77.5%"),  # the target itself
        (0, 70, 77.6, "increase", "78%"),  # shown without decimals, 77.5 is 78: the target as shown
    ],
)
def test_a_target_the_metric_already_meets_is_refused_with_the_current_figure(
    org, cycle, top, decimals, baseline, target, direction, shown
):
    fcr = fcr_at(org, 77.5, decimals=decimals)
    with pytest.raises(RuleViolation) as raised:
        create(org, cycle, metric_goal(org, top, fcr, baseline=baseline, target=target, direction=direction))
    assert raised.value.field == "target"
    week = periods.label(weeks_ago(1), periods.WEEK)
    assert raised.value.message.startswith(
        f"Measurable: First-contact resolution already stands at {shown} ({week}), which meets a target of"
    )
    assert "the goal would be done the day it is set" in raised.value.message
    assert Goal.objects.count() == 1


def test_a_target_just_beyond_the_current_figure_is_accepted(org, cycle, top):
    fcr = fcr_at(org, 77.5)
    goal = create(org, cycle, metric_goal(org, top, fcr, target=77.6))
    assert (goal.baseline, goal.target) == (77.5, 77.6)
    assert progress.for_cycle(cycle).progress[goal.pk].percent == 0


def test_a_goal_that_reached_its_target_can_still_be_edited_but_not_retargeted_behind_the_figure(org, cycle, top):
    fcr = fcr_at(org, 77.5, weeks=2)
    goal = create(org, cycle, metric_goal(org, top, fcr, target=80))
    record_weekly(org, fcr, [81], first=weeks_ago(1))
    data = metric_goal(org, top, fcr, baseline=77.5, target=80, title="Resolve more calls at once")
    assert goal_services.update_goal(goal=goal, by=org.alice, data=data).title == "Resolve more calls at once"
    data.target = 79
    with pytest.raises(RuleViolation, match=r"already stands at 81\.0%"):
        goal_services.update_goal(goal=goal, by=org.alice, data=data)


def test_the_form_puts_each_refusal_on_its_field(client, org, cycle, top):
    fcr = fcr_at(org, 77.5, direction=Metric.Direction.LOWER)
    client.force_login(org.alice)
    url = reverse("goals:goal_create") + f"?cycle={cycle.pk}&department={org.support.pk}"
    response = client.post(
        url,
        form_data(
            org,
            cycle,
            top,
            title="Be better",
            description="Do better.",
            metric=fcr.pk,
            baseline="80",
            target="77.6",
            direction="decrease",
            **{"milestones-0-title": ""},
        ),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["title"][0].startswith("“Be better” does not say what gets better")
    assert errors["target"][0].startswith("First-contact resolution already stands at 77.5%")
    assert not Goal.objects.filter(title="Be better").exists()


def test_the_form_fills_an_empty_baseline_with_the_current_figure(client, org, cycle, top):
    fcr = fcr_at(org, 77.5)
    client.force_login(org.alice)
    url = reverse("goals:goal_create") + f"?cycle={cycle.pk}&department={org.support.pk}"
    response = client.post(
        url,
        form_data(
            org, cycle, top, metric=fcr.pk, baseline="", target="85", direction="increase", **{"milestones-0-title": ""}
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    assert Goal.objects.get(title="Answer faster").baseline == 77.5


def test_the_edit_form_keeps_a_goal_that_reached_its_target_editable(client, org, cycle, top):
    fcr = fcr_at(org, 77.5, weeks=2)
    goal = create(org, cycle, metric_goal(org, top, fcr, title="Resolve calls at once", target=80))
    record_weekly(org, fcr, [81], first=weeks_ago(1))
    client.force_login(org.alice)
    fields = dict(
        title="Resolve more calls at once",
        metric=fcr.pk,
        baseline="77.5",
        target="80",
        direction="increase",
        **{"milestones-0-title": ""},
    )
    response = client.post(reverse("goals:goal_edit", args=[goal.pk]), form_data(org, cycle, top, **fields))
    assert response.status_code == 302, response.context["form"].errors
    goal.refresh_from_db()
    assert goal.title == "Resolve more calls at once"
    response = client.post(
        reverse("goals:goal_edit", args=[goal.pk]), form_data(org, cycle, top, **(fields | {"target": "79"}))
    )
    assert response.context["form"].errors["target"][0].startswith("First-contact resolution already stands at 81.0%")


def test_the_week_so_far_is_not_where_the_metric_stands(org, cycle, top):
    # As goal progress does, the S.M.A.R.T. check and the default baseline read the last complete week: a Monday
    # morning reading of 99 does not make a target of 85 "already met", nor the baseline 99.
    fcr = fcr_at(org, 77.5)
    just_now = timezone.now() - timedelta(minutes=5)  # this week so far, whatever moment the suite runs at
    record_readings(
        rows=[ReadingRow(metric=fcr, person=org.bob, measured_at=just_now, value=99)],
        recorded_by=org.admin,
        source=Reading.Source.FORM,
    )
    rollups.run()
    goal = create(org, cycle, metric_goal(org, top, fcr))
    assert (goal.baseline, goal.target) == (77.5, 85)
