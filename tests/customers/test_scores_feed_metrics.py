"""A campaign's gap score, NPS and CSAT become readings of its department's metrics, once per campaign."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.exceptions import RuleViolation
from customers.models import Campaign, Customer
from customers.services import results
from metrics.models import Metric, Reading
from tests.customers.factories import make_campaign, respond


@pytest.fixture
def campaign(org):
    campaign = make_campaign(
        org.support, questions=1, status=Campaign.Status.CLOSED, ends_on=timezone.localdate() - timedelta(days=2)
    )
    respond(campaign, ["worse"], nps=2, csat=2)
    respond(campaign, ["as_promised"], nps=10, csat=4)
    return campaign


def test_closing_records_the_scores(org, campaign):
    assert results.on_campaign_closed(campaign) == 3
    readings = {r.metric.name: r for r in Reading.objects.select_related("metric")}
    assert readings["Reality-check gap"].value == 50.0
    assert readings["Reality-check NPS"].value == 0.0
    assert readings["Reality-check CSAT"].value == 3.0
    reading = readings["Reality-check gap"]
    assert reading.source == Reading.Source.REALITY_CHECK and reading.department == org.support
    assert reading.day == campaign.ends_on
    metric = reading.metric
    assert (metric.owner_kind, metric.aggregation, metric.department) == ("department", "last", org.support)


def test_recording_twice_updates_the_same_readings(org, campaign):
    results.on_campaign_closed(campaign)
    respond(campaign, ["better"], nps=10, csat=5)
    results.record_campaign_scores(campaign=campaign, by=org.alice)
    assert Reading.objects.count() == 3
    assert Metric.objects.filter(department=org.support).count() == 3
    assert Reading.objects.get(metric__name="Reality-check gap").value == 0.0


def test_an_internal_campaign_below_five_answers_records_nothing(org):
    campaign = make_campaign(org.support, questions=1, audience=Customer.Kind.INTERNAL)
    respond(campaign, ["worse"])
    assert results.on_campaign_closed(campaign) == 0
    assert not Reading.objects.exists()


def test_a_manager_records_scores_from_the_results_page(client, org, campaign):
    client.force_login(org.alice)
    response = client.post(reverse("customers:record_scores", args=[campaign.pk]), follow=True)
    assert "Recorded 3 scores" in response.content.decode()
    assert Reading.objects.count() == 3


def test_scores_recorded_before_the_end_are_measured_now(org):
    campaign = make_campaign(org.support, questions=1)
    respond(campaign, ["worse"], nps=2, csat=2)
    results.record_campaign_scores(campaign=campaign, by=org.alice)
    assert Reading.objects.get(metric__name="Reality-check gap").measured_at <= timezone.now()


def test_an_outsider_cannot_record_scores(org, campaign):
    with pytest.raises(RuleViolation):
        results.record_campaign_scores(campaign=campaign, by=org.charlie)


def test_recording_needs_post(client, org, campaign):
    client.force_login(org.alice)
    assert client.get(reverse("customers:record_scores", args=[campaign.pk])).status_code == 405


def test_scores_of_a_campaign_closing_after_its_period_are_recorded_by_an_admin_with_a_reason(org, campaign):
    from metrics.models import ClosedPeriod

    ClosedPeriod.objects.create(
        department=org.support,
        period="month",
        start=campaign.ends_on.replace(day=1),
        end=campaign.ends_on,
        scorecard={},
    )
    assert results.on_campaign_closed(campaign) == 3
    reading = Reading.objects.get(metric__name="Reality-check gap")
    assert reading.recorded_by == org.admin
    assert "closed after the period did" in reading.override_reason
