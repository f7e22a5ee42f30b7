"""Campaign results: shares, mean rating, gap, NPS, CSAT, comments, trend, internal threshold, access, queries."""

import pytest
from django.urls import reverse

from customers.models import Campaign, Customer
from customers.selectors import results
from tests.customers.factories import make_campaign, make_customer, respond
from tests.org.factories import UserFactory


@pytest.fixture
def campaign(org):
    campaign = make_campaign(org.support, questions=2)
    respond(campaign, ["worse", "as_promised"], ratings=[2, 4], nps=3, csat=2, comment="Took a week.")
    respond(campaign, ["as_promised", "better"], ratings=[4, 6], nps=9, csat=4)
    respond(campaign, ["better", "better"], ratings=[6, 7], nps=10, csat=5, comment="Great!")
    respond(campaign, ["worse", "as_promised"], ratings=[1, 4], nps=7, csat=3)
    return campaign


def test_it_computes_shares_mean_and_gap_per_question(campaign):
    found = results.campaign_results(campaign)
    first, second = found.questions
    assert (first.n, first.worse, first.as_promised, first.better) == (4, 2, 1, 1)
    assert (first.share_worse, first.share_as_promised, first.share_better) == (50.0, 25.0, 25.0)
    assert first.mean_rating == 3.25
    assert first.gap == 25.0
    assert second.gap == -50.0
    assert found.gap == round(100 * (2 - 3) / 8, 1)
    assert found.worst == first


def test_it_computes_nps_and_csat(campaign):
    found = results.campaign_results(campaign)
    assert (found.promoters, found.detractors, found.nps_n) == (2, 1, 4)
    assert found.nps == 25.0
    assert found.csat == 3.5


def test_it_notes_low_confidence_with_few_answers(campaign):
    found = results.campaign_results(campaign)
    assert found.questions[0].confidence_note == "Few answers (4): shares are uncertain by about ±49 points."
    assert results.confidence_note(30) == ""


def test_it_lists_comments(campaign):
    assert sorted(results.campaign_results(campaign).comments) == ["Great!", "Took a week."]


def test_the_trend_covers_the_definitions_campaigns(org, campaign):
    later = make_campaign(
        org.support, definition=campaign.definition, ends_on=campaign.ends_on.replace(year=campaign.ends_on.year + 1)
    )
    respond(later, ["better", "better"], nps=10, csat=5)
    trend = results.campaign_results(later).trend
    assert [p.campaign_id for p in trend] == [campaign.pk, later.pk]
    assert trend[0].gap == -12.5 and trend[1].gap == -100.0
    assert trend[1].nps == 100.0


@pytest.fixture
def internal(org):
    campaign = make_campaign(org.support, questions=1, audience=Customer.Kind.INTERNAL)
    sales = make_customer(org.support, internal_department=org.sales)
    people = [UserFactory(department=org.sales) for _ in range(5)]
    for n, person in enumerate(people[:4]):
        respond(campaign, ["worse"], comment=f"Internal remark {n} by {person.username}", customer=sales, person=person)
    return campaign, sales, people


def test_internal_results_stay_hidden_below_five_answers(client, org, internal):
    campaign, _sales, _people = internal
    found = results.campaign_results(campaign)
    assert found.hidden and found.questions == [] and found.comments == []
    client.force_login(org.alice)
    page = client.get(reverse("customers:campaign_results", args=[campaign.pk])).content.decode()
    assert "Results appear from 5 answers on" in page
    assert "Internal remark" not in page


def test_internal_results_show_from_five_answers_without_names(client, org, internal):
    campaign, sales, people = internal
    respond(campaign, ["as_promised"], customer=sales, person=people[4])
    client.force_login(org.alice)
    page = client.get(reverse("customers:campaign_results", args=[campaign.pk])).content.decode()
    assert "Internal remark 0" in page
    for person in people:
        assert person.get_full_name() not in page
    assert "anonymous" in page


def test_a_manager_sees_results_and_the_goal_link(client, org, campaign):
    client.force_login(org.alice)
    response = client.get(reverse("customers:campaign_results", args=[campaign.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Create a goal from this gap" in page
    assert reverse("customers:goal_from_gap", args=[campaign.pk]) in page


@pytest.mark.parametrize("who", ["bob", "charlie"])
def test_others_cannot_see_results(client, org, campaign, who):
    client.force_login(getattr(org, who))
    assert client.get(reverse("customers:campaign_results", args=[campaign.pk])).status_code == 404
    assert client.post(reverse("customers:record_scores", args=[campaign.pk])).status_code == 404
    assert client.post(reverse("customers:propose_revision", args=[campaign.pk])).status_code == 404


def test_an_employee_cannot_see_the_results_list(client, org):
    client.force_login(org.bob)
    assert client.get(reverse("customers:results")).status_code == 404


def test_the_results_list_shows_only_managed_campaigns(client, org, campaign):
    other = make_campaign(org.sales, title="Sales check")
    client.force_login(org.alice)
    page = client.get(reverse("customers:results")).content.decode()
    assert campaign.title in page and other.title not in page


def test_results_pages_need_sign_in(client, campaign):
    for url in (
        reverse("customers:results"),
        reverse("customers:campaign_results", args=[campaign.pk]),
        reverse("customers:follow_ups"),
        reverse("customers:internal_map"),
    ):
        assert client.get(url).status_code == 302


def test_proposing_a_revision_starts_a_draft(client, org, campaign):
    client.force_login(org.alice)
    response = client.post(reverse("customers:propose_revision", args=[campaign.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("goals:definition_edit", args=[campaign.definition_id])
    draft = campaign.definition.versions.get(published_at__isnull=True)
    assert draft.promise == campaign.version.promise
    assert draft.criteria.count() == 2
    assert client.post(reverse("customers:propose_revision", args=[campaign.pk])).status_code == 302
    assert campaign.definition.versions.filter(published_at__isnull=True).count() == 1


@pytest.mark.parametrize("responses", [5, 40])
def test_the_results_page_uses_a_bounded_number_of_queries(client, org, responses, django_assert_max_num_queries):
    campaign = make_campaign(org.support, questions=3)
    earlier = make_campaign(
        org.support, definition=campaign.definition, status=Campaign.Status.CLOSED, ends_on=campaign.starts_on
    )
    for n in range(responses):
        respond(
            campaign,
            ["worse", "as_promised", "better"][n % 3 :] + ["as_promised"] * (n % 3),
            nps=n % 11,
            csat=1 + n % 5,
            comment=f"Comment {n}",
        )
        respond(earlier, ["as_promised"] * 3)
    client.force_login(org.alice)
    # session, user, managed paths, campaign, response scores, per-question counts, open follow-ups, comments,
    # trend campaigns, trend scores, trend answer counts, goal cycle, and the navigation's own queries
    with django_assert_max_num_queries(16):
        response = client.get(reverse("customers:campaign_results", args=[campaign.pk]))
    assert response.status_code == 200
