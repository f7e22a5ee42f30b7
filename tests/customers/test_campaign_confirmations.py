"""Drawing, sending and opting out ask once and say what they will do; the campaign page names the sample, the
reasons people were left out, how far the invitations went and the response rate per segment; the e-mail and the
answer page can be previewed before anything is sent."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Campaign, Customer, Recipient
from customers.services import campaigns as services
from customers.services import invitations
from customers.services.sampling import draw_sample
from outbox.models import OutgoingEmail
from tests.customers.factories import CampaignFactory, CustomerFactory, make_campaign, make_customer, respond
from tests.org.factories import UserFactory


@pytest.fixture
def campaign(org):
    CustomerFactory.create_batch(3, department=org.support, segment="retail")
    CustomerFactory.create_batch(2, department=org.support, segment="wholesale")
    CustomerFactory(department=org.support, name="Gone Away", opted_out_at=timezone.now())
    CustomerFactory(department=org.support, name="No Address", email="")
    CustomerFactory(department=org.support, name="Asked Lately", last_contacted_at=timezone.now() - timedelta(days=3))
    return CampaignFactory(
        department=org.support,
        sample_size=4,
        customer_title="Harbour Support: how did we do?",
        stratify_by_segment=True,
    )


def test_the_draw_page_says_what_it_will_do_and_draws_nothing(client, org, campaign):
    client.force_login(org.alice)
    page = client.get(reverse("customers:campaign_draw", args=[campaign.pk])).content.decode()
    assert "choose 4 of the 5 eligible customers of Support at random" in page
    assert "opted out (1), have no e-mail address (1) or were asked within the last 90 days (1)" in page
    assert "<details" in page and "Reproduce a draw" in page and "repeat an earlier draw exactly" in page
    assert "cannot be redone" in page
    campaign.refresh_from_db()
    assert campaign.drawn_at is None and not campaign.recipients.exists()


def test_drawing_without_a_seed_picks_and_stores_one(client, org, campaign):
    client.force_login(org.alice)
    response = client.post(reverse("customers:campaign_draw", args=[campaign.pk]), {"seed": ""})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.seed is not None and campaign.recipients.count() == 4


def test_a_bad_seed_is_explained_on_the_draw_page(client, org, campaign):
    client.force_login(org.alice)
    page = client.post(reverse("customers:campaign_draw", args=[campaign.pk]), {"seed": "-5"}).content.decode()
    assert "greater than or equal to 0" in page and "<details" in page and " open" in page
    assert Campaign.objects.get(pk=campaign.pk).drawn_at is None


def test_the_send_page_says_how_many_which_segments_and_what_they_get(client, org, campaign, settings):
    settings.KEEL_ORGANIZATION_NAME = ""
    draw_sample(campaign=campaign, seed=3)
    client.force_login(org.alice)
    page = client.get(reverse("customers:campaign_send", args=[campaign.pk])).content.decode()
    assert "Send “" in page and "to 4 customers?" in page and "e-mail 4 customers in 2 segment(s)" in page
    assert "Harbour Support: how did we do?" in page and "Acme via Keel" in page
    breakdown = page.split("data-breakdown")[1].split("</table>")[0]
    assert "retail" in breakdown and "wholesale" in breakdown
    assert "Preview the e-mail" in page and "Preview the answer page" in page
    assert Campaign.objects.get(pk=campaign.pk).status == "draft" and not OutgoingEmail.objects.exists()


def test_after_sending_the_page_tells_what_is_queued_and_what_went_out(client, org, campaign):
    draw_sample(campaign=campaign, seed=3)
    client.force_login(org.alice)
    response = client.post(reverse("customers:campaign_send", args=[campaign.pk]), follow=True)
    page = response.content.decode()
    assert "Sending started: 4 invitations are queued" in page
    assert "4 waiting for their invitation to be prepared" in page and "0 handed to the mail server" in page
    invitations.send_invitations()
    OutgoingEmail.objects.filter(pk__in=OutgoingEmail.objects.order_by("pk")[:1].values("pk")).update(
        sent_at=timezone.now()
    )
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert "0 waiting" in page and "4 invitations prepared" in page and "1 handed to the mail server" in page


def test_the_campaign_page_names_the_sample_and_the_reasons_left_out(client, org, campaign):
    draw_sample(campaign=campaign, seed=3)
    client.force_login(org.alice)
    page = client.get(campaign.get_absolute_url()).content.decode()
    for recipient in campaign.recipients.select_related("customer"):
        assert recipient.customer.name in page
    assert 'data-excluded="opted_out">1<' in page and 'data-excluded="no_email">1<' in page
    assert 'data-excluded="recently_asked">1<' in page and "Asked within the last 90 days" in page
    assert "Gone Away" not in page  # left out, counted, not named


def test_the_sample_list_is_paginated(client, org):
    CustomerFactory.create_batch(30, department=org.support)
    campaign = CampaignFactory(department=org.support, sample_size=30)
    draw_sample(campaign=campaign, seed=1)
    client.force_login(org.alice)
    first = client.get(campaign.get_absolute_url()).content.decode()
    second = client.get(campaign.get_absolute_url() + "?page=2").content.decode()
    assert first.count("data-recipient=") == 25 and second.count("data-recipient=") == 5
    assert client.get(campaign.get_absolute_url() + "?page=abc").status_code == 200


def test_response_rates_per_segment(client, org):
    campaign = make_campaign(org.support, questions=1)
    for segment, answered in (("retail", True), ("retail", False), ("wholesale", True)):
        customer = CustomerFactory(department=org.support, segment=segment)
        if answered:
            respond(campaign, ["as_promised"], customer=customer)
        else:
            Recipient.objects.create(
                campaign=campaign, customer=customer, segment=segment, token_hash=f"x{customer.pk}",
                expires_at=timezone.now() + timedelta(days=3), sent_at=timezone.now(),
            )  # fmt: skip
    Recipient.objects.filter(campaign=campaign).update(sent_at=timezone.now())
    Recipient.objects.filter(campaign=campaign, customer__segment="retail").update(segment="retail")
    Recipient.objects.filter(campaign=campaign, customer__segment="wholesale").update(segment="wholesale")
    Campaign.objects.filter(pk=campaign.pk).update(draw_audit={"eligible": 3, "excluded": {}, "drawn": 3})
    client.force_login(org.alice)
    page = client.get(campaign.get_absolute_url()).content.decode()
    rates = page.split("data-segment-rates")[1].split("</table>")[0]
    retail = rates.split('data-segment="retail"')[1].split("</tr>")[0]
    wholesale = rates.split('data-segment="wholesale"')[1].split("</tr>")[0]
    assert "1 (50%)" in retail and "1 (100%)" in wholesale


def test_an_internal_campaign_hides_who_answered(client, org):
    campaign = make_campaign(org.support, audience="internal", questions=1)
    customer = make_customer(org.sales, internal_department=org.support)
    respond(campaign, ["as_promised"], customer=customer, person=UserFactory(department=org.support))
    Campaign.objects.filter(pk=campaign.pk).update(draw_audit={"eligible": 1, "excluded": {}, "drawn": 1})
    client.force_login(org.alice)
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert "answered" not in page.split("data-sampled")[1].split("</table>")[0]
    assert "Answered counts show once five colleagues have answered" in page


def test_the_email_preview_shows_the_message_and_sends_nothing(client, org, campaign):
    draw_sample(campaign=campaign, seed=3)
    client.force_login(org.alice)
    page = client.get(reverse("customers:campaign_preview_email", args=[campaign.pk])).content.decode()
    first = campaign.recipients.select_related("customer").order_by("pk").first().customer.name
    assert f"Hello {first}," in page and "Harbour Support: how did we do?" in page
    assert "Acme via Keel" in page and "Reminder: Harbour Support" in page
    assert campaign.title not in page.split("data-email-preview")[1]  # the internal title stays internal
    assert not OutgoingEmail.objects.exists()


def test_the_answer_page_preview_cannot_be_submitted(client, org, campaign):
    client.force_login(org.alice)
    page = client.get(reverse("customers:campaign_preview_answer", args=[campaign.pk])).content.decode()
    assert "Harbour Support: how did we do?" in page and "data-preview" in page
    assert page.count(" disabled>") >= 2 and campaign.questions.first().promise in page
    assert not Recipient.objects.exists()


@pytest.mark.parametrize(
    "name", ["campaign_draw", "campaign_send", "campaign_preview_email", "campaign_preview_answer"]
)
@pytest.mark.parametrize("who", ["charlie", "bob"])
def test_outsiders_get_no_confirmation_or_preview(client, org, campaign, name, who):
    client.force_login(getattr(org, who))
    assert client.get(reverse(f"customers:{name}", args=[campaign.pk])).status_code == 404


def test_opting_out_asks_first(client, org):
    customer = CustomerFactory(department=org.support, name="Lakeside")
    client.force_login(org.alice)
    page = client.get(reverse("customers:customer_opt_out", args=[customer.pk])).content.decode()
    assert "Opt Lakeside out?" in page and "Nothing in Keel undoes an opt-out" in page
    assert Customer.objects.get(pk=customer.pk).opted_out_at is None
    client.post(reverse("customers:customer_opt_out", args=[customer.pk]))
    assert Customer.objects.get(pk=customer.pk).opted_out_at is not None


def test_the_customer_title_is_set_apart_from_the_internal_one(org):
    definition = CampaignFactory(department=org.support).definition
    made = services.create_campaign(
        by=org.alice, definition=definition, department=org.support, ends_on=timezone.localdate(), sample_size=1
    )
    assert made.title.startswith("Reality check:") and made.customer_title == "Support: how did we do?"
    named = services.create_campaign(
        by=org.alice, definition=definition, department=org.support, ends_on=timezone.localdate(), sample_size=1,
        title="Q4 tickets (internal)", customer_title="Your support tickets",
    )  # fmt: skip
    assert (named.title, named.customer_title) == ("Q4 tickets (internal)", "Your support tickets")
