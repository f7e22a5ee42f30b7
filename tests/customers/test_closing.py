"""Every way a campaign closes goes through one service, which records its scores as readings exactly once."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from customers import tasks
from customers.models import Campaign
from customers.services import campaigns
from metrics.models import Reading
from org.models import User
from tests.customers.factories import make_campaign, respond


def _ended(org):
    campaign = make_campaign(org.support, questions=1, ends_on=timezone.localdate() - timedelta(days=1))
    respond(campaign, ["worse"], nps=2, csat=2)
    respond(campaign, ["as_promised"], nps=10, csat=4)
    return campaign


def test_it_records_the_scores_of_a_campaign_closed_by_the_scheduled_task(org):
    campaign = _ended(org)
    assert tasks.close_ended_campaigns() == 1
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CLOSED and campaign.closed_at is not None
    values = dict(Reading.objects.values_list("metric__name", "value"))
    assert values == {"Reality-check gap": 50.0, "Reality-check NPS": 0.0, "Reality-check CSAT": 3.0}


def test_it_records_the_scores_of_a_campaign_closed_by_the_service(org):
    campaign = _ended(org)
    assert campaigns.close_campaign(campaign=campaign) == 3
    assert Reading.objects.count() == 3


def test_running_the_task_twice_closes_and_records_once(org):
    campaign = _ended(org)
    assert campaigns.close_ended_campaigns() == 1
    Reading.objects.update(value=99)  # a second recording would overwrite this
    assert campaigns.close_ended_campaigns() == 0
    assert campaigns.close_campaign(campaign=campaign) is None
    assert set(Reading.objects.values_list("value", flat=True)) == {99}


def test_it_closes_a_campaign_whose_scores_nobody_may_record(org):
    campaign = _ended(org)
    org.support.managers.clear()
    Campaign.objects.filter(pk=campaign.pk).update(created_by=None)
    User.objects.update(is_staff=False)
    assert campaigns.close_campaign(campaign=campaign) == 0
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CLOSED and not Reading.objects.exists()


def test_it_does_not_close_a_draft_or_a_campaign_still_running(org):
    draft = make_campaign(
        org.support, questions=1, status=Campaign.Status.DRAFT, ends_on=timezone.localdate() - timedelta(days=1)
    )
    running = make_campaign(org.support, questions=1)
    assert campaigns.close_ended_campaigns() == 0
    assert campaigns.close_campaign(campaign=draft) is None
    assert Campaign.objects.get(pk=running.pk).status == Campaign.Status.SENT


def test_the_admin_closes_through_the_service_and_cannot_edit_the_status(client, org):
    campaign = _ended(org)
    client.force_login(org.admin)
    page = client.get(reverse("admin:customers_campaign_change", args=[campaign.pk])).content.decode()
    assert 'name="status"' not in page
    asked = client.post(
        reverse("admin:customers_campaign_changelist"), {"action": "close", "_selected_action": [campaign.pk]}
    ).content.decode()
    assert "Close 1 campaign and record its scores" in asked and campaign.title in asked
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SENT  # asking closes nothing
    response = client.post(
        reverse("admin:customers_campaign_changelist"),
        {"action": "close", "_selected_action": [campaign.pk], "post": "yes"},
        follow=True,
    )
    assert "1 campaign closed" in response.content.decode()
    assert Reading.objects.count() == 3
