"""Invitations and reminders go out exactly once, links are stored only as hashes, campaigns close on time."""

from datetime import timedelta

import pytest
from django.utils import timezone

from customers import tasks
from customers.models import Campaign
from customers.services import campaigns as services
from customers.services import invitations as sending
from customers.services.sampling import draw_sample
from customers.tokens import hash_token
from outbox.models import OutgoingEmail
from tests.customers.factories import CampaignFactory, CustomerFactory


@pytest.fixture
def sent(org):
    CustomerFactory.create_batch(4, department=org.support)
    campaign = CampaignFactory(department=org.support, sample_size=3)
    draw_sample(campaign=campaign, seed=11)
    services.send_campaign(by=org.alice, campaign=campaign)  # on commit: the task sends the invitations
    return campaign


def _token(email):
    return email.body.split("/r/")[1].split("/")[0]


def test_invitations_go_out_exactly_once(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sending.send_invitations()
    assert sending.send_invitations() == 0  # run twice: nothing more
    invitations = OutgoingEmail.objects.filter(dedup_key__startswith="reality-invite:")
    assert invitations.count() == 3
    assert sent.recipients.filter(sent_at__isnull=True).count() == 0


def test_the_link_is_stored_only_as_a_hash(sent):
    sending.send_invitations()
    for email in OutgoingEmail.objects.filter(dedup_key__startswith="reality-invite:"):
        token = _token(email)
        assert email.body.count("http://") + email.body.count("https://") == 1
        recipient = sent.recipients.get(token_hash=hash_token(token))
        assert token not in recipient.token_hash


def test_invitations_mark_the_customer_contacted(sent):
    sending.send_invitations()
    assert all(r.customer.last_contacted_at for r in sent.recipients.select_related("customer"))


def test_at_most_two_reminders_spaced_out(sent):
    sending.send_invitations()
    now = timezone.now()
    assert sending.send_reminders(now=now + timedelta(days=1)) == 0
    assert sending.send_reminders(now=now + timedelta(days=3, hours=1)) == 3
    assert sending.send_reminders(now=now + timedelta(days=3, hours=2)) == 0  # run again: nothing twice
    assert sending.send_reminders(now=now + timedelta(days=7, hours=2)) == 3
    assert sending.send_reminders(now=now + timedelta(days=12)) == 0
    assert OutgoingEmail.objects.filter(dedup_key__startswith="reality-reminder:").count() == 6
    assert set(sent.recipients.values_list("reminders", flat=True)) == {2}


def test_a_late_run_does_not_send_both_reminders_at_once(sent):
    sending.send_invitations()
    assert sending.send_reminders(now=timezone.now() + timedelta(days=10)) == 3
    assert set(sent.recipients.values_list("reminders", flat=True)) == {1}


def test_a_reminder_carries_a_new_working_link(sent):
    sending.send_invitations()
    recipient = sent.recipients.first()
    invitation = OutgoingEmail.objects.get(dedup_key=f"reality-invite:{recipient.pk}")
    sending.send_reminders(now=timezone.now() + timedelta(days=4))
    reminder = OutgoingEmail.objects.get(dedup_key=f"reality-reminder:{recipient.pk}:1")
    recipient.refresh_from_db()
    assert recipient.token_hash == hash_token(_token(reminder)) != hash_token(_token(invitation))


def test_those_who_answered_are_not_reminded(sent):
    sending.send_invitations()
    sent.recipients.update(submitted_at=timezone.now())
    assert sending.send_reminders(now=timezone.now() + timedelta(days=4)) == 0


def test_campaigns_close_after_their_end_date(sent):
    assert services.close_ended_campaigns(today=sent.ends_on) == 0
    assert services.close_ended_campaigns(today=sent.ends_on + timedelta(days=1)) == 1
    assert services.close_ended_campaigns(today=sent.ends_on + timedelta(days=1)) == 0
    sent.refresh_from_db()
    assert sent.status == Campaign.Status.CLOSED and sent.closed_at


def test_closed_campaigns_send_nothing(sent):
    Campaign.objects.filter(pk=sent.pk).update(status=Campaign.Status.CLOSED)
    assert sending.send_invitations() == 0


def test_the_beat_task_runs(sent):
    assert tasks.send_invitations_and_reminders() in ("3 invitations, 0 reminders", "0 invitations, 0 reminders")


def test_it_names_the_recipients_to_invite_and_those_awaiting_an_answer(org):
    CustomerFactory.create_batch(3, department=org.support)
    campaign = CampaignFactory(department=org.support, sample_size=3)
    draw_sample(campaign=campaign, seed=11)
    now = timezone.now()
    assert not campaign.recipients.to_invite(now).exists()  # a draft invites nobody
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENT)
    assert campaign.recipients.to_invite(now).count() == 3 and not campaign.recipients.awaiting_answer(now).exists()
    first = campaign.recipients.order_by("pk").first()
    campaign.recipients.filter(pk=first.pk).update(sent_at=now)
    assert list(campaign.recipients.awaiting_answer(now)) == [first]
    assert campaign.recipients.to_invite(now).count() == 2
    assert not campaign.recipients.to_invite(first.expires_at).exists()  # expired links are nobody's to send


def test_it_names_the_campaigns_that_ended_before_a_day(sent):
    assert not Campaign.objects.ended_before(sent.ends_on).exists()
    assert list(Campaign.objects.ended_before(sent.ends_on + timedelta(days=1))) == [sent]
    assert list(Campaign.objects.launched()) == [sent]
