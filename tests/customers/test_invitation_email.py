"""The invitation comes from the organization, under the customer-facing title, and names the same last day as
the answer page, in the organization's time zone."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from core import periods
from core.templatetags.org_time import last_day, org_date
from customers.models import Recipient
from customers.services import campaigns as services
from customers.services import invitations
from customers.services.sampling import draw_sample, link_expiry
from customers.tokens import hash_token
from org.selectors import organization_name, sender_on_behalf
from outbox.models import OutgoingEmail
from outbox.services import claim, send_claimed
from tests.customers.factories import CampaignFactory, CustomerFactory


@pytest.fixture
def sent(org):
    CustomerFactory.create_batch(2, department=org.support)
    campaign = CampaignFactory(
        department=org.support, sample_size=2, title="Q4 internal check", customer_title="Your tickets with us"
    )
    draw_sample(campaign=campaign, seed=5)
    services.send_campaign(by=org.alice, campaign=campaign)
    invitations.send_invitations()
    return campaign


def test_the_subject_is_the_customer_facing_title(sent):
    subjects = set(OutgoingEmail.objects.values_list("subject", flat=True))
    assert subjects == {"Your tickets with us"}
    assert all("Q4 internal check" not in e.body + e.html_body for e in OutgoingEmail.objects.all())


def test_it_comes_from_the_organization_via_keel(sent, settings, mailoutbox):
    settings.KEEL_ORGANIZATION_NAME = ""
    settings.DEFAULT_FROM_EMAIL = "Keel <keel@example.com>"
    assert organization_name() == "Acme"  # the top department
    assert sender_on_behalf() == "Acme via Keel <keel@example.com>"
    email = OutgoingEmail.objects.first()
    send_claimed(email=claim(email_id=email.pk))
    assert mailoutbox[0].from_email == email.from_email
    assert "Acme via Keel" in email.from_email and mailoutbox[0].alternatives  # with an HTML part


def test_the_setting_names_the_organization(settings):
    settings.KEEL_ORGANIZATION_NAME = "Harbour Books"
    settings.DEFAULT_FROM_EMAIL = "noreply@harbour.example"
    assert sender_on_behalf() == "Harbour Books via Keel <noreply@harbour.example>"


def test_other_emails_keep_the_default_sender(org, mailoutbox, settings):
    from outbox.services import queue_email

    email = queue_email(to="x@example.com", subject="Hi", body="Hello")
    send_claimed(email=claim(email_id=email.pk))
    assert mailoutbox[0].from_email == settings.DEFAULT_FROM_EMAIL


# --- one last day, everywhere, in the organization's zone ----------------------------------------------------------


@pytest.mark.parametrize(
    ("expires_at", "zone", "shown"),
    [
        # The end of 20 December in Berlin (winter, UTC+1) is 23:00 UTC: the last day is the 20th, never the 21st.
        (datetime(2026, 12, 20, 23, 0, tzinfo=UTC), "Europe/Berlin", "20 December 2026"),
        # 23:30 UTC is already 00:30 on the 21st in Berlin: the link still works on the 21st, so that is the day.
        (datetime(2026, 12, 20, 23, 30, tzinfo=UTC), "Europe/Berlin", "21 December 2026"),
        # The same instant in New York is still the 20th (18:30).
        (datetime(2026, 12, 20, 23, 30, tzinfo=UTC), "America/New_York", "20 December 2026"),
    ],
)
def test_the_last_day_is_read_in_the_organizations_zone(settings, expires_at, zone, shown):
    settings.TIME_ZONE = zone
    assert last_day(expires_at, "j F Y") == shown


def test_org_date_ignores_the_active_zone(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    moment = datetime(2026, 12, 20, 23, 30, tzinfo=UTC)
    assert org_date(moment, "j M Y, H:i") == "21 Dec 2026, 00:30"
    assert org_date(date(2026, 12, 20)) == "20 Dec 2026"


def berlin_midnight_after(day: date) -> datetime:
    """The instant a day ends in Berlin, in UTC (23:00 in winter, 22:00 in summer)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC)


def test_a_campaigns_links_end_with_its_last_day(org, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    end = periods.today() + timedelta(days=25)  # any day after the clock's, whatever KEEL_TEST_NOW says
    campaign = CampaignFactory(department=org.support, ends_on=end)
    expiry = link_expiry(campaign)
    assert expiry == berlin_midnight_after(end)
    assert periods.last_day_before(expiry) == end


def test_the_email_and_the_answer_page_name_the_same_day(client, org, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    end = periods.today() + timedelta(days=25)
    CustomerFactory.create_batch(1, department=org.support)
    campaign = CampaignFactory(department=org.support, sample_size=1, ends_on=end)
    draw_sample(campaign=campaign, seed=5)
    services.send_campaign(by=org.alice, campaign=campaign)
    # The boundary: a link that ends half an hour into the next day in Berlin (23:30 UTC in winter), which a UTC
    # date would call the day before.
    Recipient.objects.filter(campaign=campaign).update(expires_at=berlin_midnight_after(end) + timedelta(minutes=30))
    next_day = end + timedelta(days=1)
    said = f"until the end of {next_day.day} {next_day:%B %Y}"
    invitations.send_invitations()
    email = OutgoingEmail.objects.get()
    assert said in email.body and said in email.html_body
    token = email.body.split("/r/")[1].split("/")[0]
    assert Recipient.objects.filter(token_hash=hash_token(token)).exists()
    page = client.get(reverse("respond:answer", args=[token])).content.decode()
    assert said in page
