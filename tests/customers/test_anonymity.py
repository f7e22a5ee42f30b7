"""The anonymity minimum holds for everything derived from internal answers: below it, nothing about an internal
answer is visible to anyone (follow-ups, their texts and dates, trends, scores, the internal map, the admin)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import INTERNAL_MINIMUM, Customer, FollowUp, Recipient, Response
from customers.selectors import results
from customers.selectors.visibility import visible_follow_ups
from customers.services import results as result_services
from metrics.models import Reading
from tests.customers.factories import make_campaign, make_customer, respond
from tests.org.factories import UserFactory


@pytest.fixture
def internal(org):
    """Sales asks its internal customer Support (alice, and bob below it); bob answers worse than promised."""
    campaign = make_campaign(
        org.sales, questions=1, audience=Customer.Kind.INTERNAL, ends_on=timezone.localdate() + timedelta(days=3)
    )
    customer = make_customer(org.sales, internal_department=org.support)
    respond(campaign, ["worse"], ratings=[2], nps=3, customer=customer, person=org.bob)
    return campaign


def more_answers(org, campaign, count):
    customer = make_customer(org.sales, internal_department=org.support)
    for n in range(count):
        person = UserFactory(username=f"colleague{n}", department=org.support)
        respond(campaign, ["as_promised"], nps=9, customer=customer, person=person)


def test_the_answer_opened_follow_ups_that_nobody_sees(org, internal):
    assert FollowUp.objects.filter(campaign=internal).count() == 1  # one for the response: criterion and NPS
    assert not visible_follow_ups(org.charlie).exists()
    assert not visible_follow_ups(org.admin).exists()


def test_the_follow_up_list_shows_nothing_of_the_answer(client, org, internal):
    client.force_login(org.charlie)
    html = client.get(reverse("customers:follow_ups")).content.decode()
    follow_up = FollowUp.objects.filter(campaign=internal).first()
    assert "Worse than promised" not in html and "2 of 7" not in html and "recommend us 3" not in html
    assert f"due {follow_up.due_date:%-d %b %Y}" not in html and internal.title not in html
    assert client.get(reverse("customers:follow_up", args=[follow_up.pk])).status_code == 404


def test_the_follow_up_statistics_count_nothing_of_the_answer(org, internal):
    stats = results.follow_up_stats(visible_follow_ups(org.charlie))
    assert stats["open"] == 0 and stats["overdue"] == 0


def test_todays_follow_ups_show_nothing_of_the_answer(client, org, internal):
    client.force_login(org.charlie)
    html = client.get(reverse("today")).content.decode()
    assert "Worse than promised" not in html and "Low overall score" not in html


def test_the_follow_ups_appear_once_the_minimum_is_reached(client, org, internal):
    more_answers(org, internal, INTERNAL_MINIMUM - 1)
    assert visible_follow_ups(org.charlie).count() == 1
    client.force_login(org.charlie)
    assert "Worse than promised" in client.get(reverse("customers:follow_ups")).content.decode()


def test_the_trend_shows_no_figure_of_a_campaign_below_the_minimum(org, internal):
    later = make_campaign(
        org.sales,
        questions=1,
        audience=Customer.Kind.INTERNAL,
        definition=internal.definition,
        ends_on=timezone.localdate() + timedelta(days=30),
    )
    [first, _later] = results.definition_trend(later)
    assert (first.gap, first.nps, first.csat) == (None, None, None)


def test_no_score_is_recorded_or_mapped_below_the_minimum(org, internal):
    assert result_services.record_campaign_scores(campaign=internal, by=org.admin) == 0
    assert not Reading.objects.exists()
    [edge] = results.internal_map(org.admin)
    assert edge.score is None and edge.gap is None


def test_the_admin_shows_nothing_of_the_answer(client, org, internal):
    client.force_login(org.admin)
    response = Response.objects.get(campaign=internal)
    assert "rated 2" not in client.get(reverse("admin:customers_followup_changelist")).content.decode()
    assert client.get(reverse("admin:customers_response_change", args=[response.pk])).status_code == 302  # not found
    changelist = client.get(reverse("admin:customers_response_changelist")).content.decode()
    assert "0 responses" in changelist or f"/{response.pk}/change/" not in changelist


def test_the_admin_never_says_when_a_colleague_answered(client, org, internal):
    client.force_login(org.admin)
    recipient = Recipient.objects.get(person=org.bob)
    html = client.get(reverse("admin:customers_recipient_change", args=[recipient.pk])).content.decode()
    assert "submitted_at" not in html and 'name="draft"' not in html
