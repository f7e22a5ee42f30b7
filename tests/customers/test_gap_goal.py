"""A goal started from a reality-check gap measures that criterion's gap and starts at 0 % of its own way."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.services import results as result_services
from goals.selectors import progress
from goals.selectors.progress import percent_between
from metrics.models import Metric, Reading
from tests.customers.factories import make_campaign, respond
from tests.goals.factories import GoalCycleFactory, GoalFactory


@pytest.fixture
def campaign(org):
    """First criterion: 2 worse, 1 as promised, 1 better (gap +25); second: gap -50."""
    campaign = make_campaign(org.support, questions=2, ends_on=timezone.localdate() - timedelta(days=40))
    respond(campaign, ["worse", "as_promised"])
    respond(campaign, ["as_promised", "better"])
    respond(campaign, ["better", "better"])
    respond(campaign, ["worse", "as_promised"])
    return campaign


def _start(client, campaign, question=None):
    data = {"question": question.pk} if question else {}
    return client.post(reverse("customers:goal_from_gap", args=[campaign.pk]), data)


def test_it_opens_the_goal_form_measured_on_the_criterions_gap_with_that_gap_as_baseline(
    client, org, campaign, django_capture_on_commit_callbacks
):
    cycle = GoalCycleFactory()
    first = campaign.questions.order_by("position").first()
    client.force_login(org.alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = _start(client, campaign, first)
    assert response.status_code == 302
    url = urlsplit(response.url)
    assert url.path == reverse("goals:goal_create")
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    metric = Metric.objects.get(pk=query["metric"])
    assert metric.department == org.support and first.promise in metric.name
    assert metric.direction == Metric.Direction.LOWER
    assert (query["baseline"], query["target"]) == ("25", "0")
    assert first.promise in query["title"] and first.promise in query["description"]
    # The campaign's own gap is the metric's figure: the goal starts at 0 % of its way.
    reading = Reading.objects.get(metric=metric)
    assert reading.value == 25.0
    assert percent_between(reading.value, float(query["baseline"]), float(query["target"])) == 0.0
    form = client.get(response.url).context["form"]
    assert form.initial["metric"] == str(metric.pk) and form.initial["baseline"] == "25"
    goal = GoalFactory(cycle=cycle, department=org.support, metric=metric, baseline=25, target=0)
    assert progress.for_cycle(cycle).progress[goal.pk].percent == 0.0


def test_a_later_campaign_on_the_same_criterion_moves_the_goal(client, org, campaign):
    client.force_login(org.alice)
    _start(client, campaign, campaign.questions.order_by("position").first())
    later = make_campaign(org.support, definition=campaign.definition, ends_on=timezone.localdate() - timedelta(days=1))
    respond(later, ["worse", "better"])
    respond(later, ["as_promised", "better"])
    respond(later, ["as_promised", "better"])
    respond(later, ["better", "better"])
    result_services.record_campaign_scores(campaign=later, by=org.alice)
    metric = Metric.objects.get(code=result_services.criterion_gap_code(campaign, campaign.questions.first().promise))
    values = list(Reading.objects.filter(metric=metric).order_by("measured_at").values_list("value", flat=True))
    assert values == [25.0, 0.0]  # the later campaign: 1 worse, 1 better of 4
    assert percent_between(values[-1], 25.0, 0.0) == 100.0


def test_it_refuses_a_criterion_with_no_gap_to_close(client, org, campaign):
    second = campaign.questions.order_by("position").last()
    client.force_login(org.alice)
    response = _start(client, campaign, second)
    assert response.url == reverse("customers:campaign_results", args=[campaign.pk])
    message = str(next(iter(response.wsgi_request._messages)))
    assert "no gap to close" in message and "-50" in message
    assert not Metric.objects.filter(code__startswith="reality-check-gap-").exists()


@pytest.mark.parametrize("who", ["bob", "charlie"])
def test_only_managers_of_the_department_start_a_goal_from_its_gap(client, org, campaign, who):
    client.force_login(getattr(org, who))
    assert _start(client, campaign).status_code == 404
    assert not Metric.objects.filter(code__startswith="reality-check-gap-").exists()


@pytest.mark.parametrize("odd", ["²", "9" * 5000])
def test_an_odd_question_number_is_treated_as_none_not_a_500(client, org, campaign, odd):
    GoalCycleFactory()
    client.force_login(org.alice)
    response = client.post(reverse("customers:goal_from_gap", args=[campaign.pk]), {"question": odd})
    assert response.status_code == 302  # as with no question: the largest gap
