"""The outbox: each message is a row, sent once, retried when sending fails, reported when it keeps failing."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from outbox import services, tasks
from outbox.models import OutgoingEmail

SEND = "django.core.mail.EmailMultiAlternatives.send"


def queue(**kwargs):
    return services.queue_email(**({"to": "bob@example.com", "subject": "Hello", "body": "Hi Bob"} | kwargs))


def test_it_sends_a_queued_message_once_the_transaction_commits(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email = queue()
    assert mail.outbox == []  # nothing leaves before commit
    for callback in callbacks:
        callback()
    email.refresh_from_db()
    assert email.sent_at is not None and email.attempts == 1
    assert [m.subject for m in mail.outbox] == ["Hello"]


def test_sending_twice_sends_once(db):
    email = OutgoingEmail.objects.create(to="bob@example.com", subject="Once", body="x")
    assert services.send(email_id=email.pk) is True
    assert services.send(email_id=email.pk) is False
    assert len(mail.outbox) == 1


def test_a_dedup_key_queues_one_message_however_often_it_is_asked(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = queue(dedup_key="reminder:7:bob")
        second = queue(dedup_key="reminder:7:bob")
    assert first.pk == second.pk
    assert OutgoingEmail.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_message_held_by_a_live_claim_is_not_sent_by_another_worker(db):
    email = OutgoingEmail.objects.create(to="bob@example.com", subject="Held", body="x")
    assert services.claim(email_id=email.pk) is not None
    assert services.claim(email_id=email.pk) is None
    assert services.pending_ids() == []


def test_a_claim_left_by_a_killed_worker_expires_and_the_catch_up_sends_it(db):
    email = OutgoingEmail.objects.create(
        to="bob@example.com",
        subject="Orphan",
        body="x",
        claimed_until=timezone.now() - timedelta(seconds=1),
        attempts=1,
    )
    assert tasks.send_pending_emails() == 1
    email.refresh_from_db()
    assert email.sent_at is not None
    assert len(mail.outbox) == 1


def test_the_catch_up_sends_the_rest_when_one_message_fails(db):
    flaky = OutgoingEmail.objects.create(to="bob@example.com", subject="Flaky", body="x")
    fine = OutgoingEmail.objects.create(to="alice@example.com", subject="Fine", body="x")
    with mock.patch(SEND, side_effect=[OSError("down"), 1]):
        assert services.send_pending() == 1
    flaky.refresh_from_db()
    fine.refresh_from_db()
    assert (flaky.status, fine.status) == ("retrying", "sent")


def test_a_failed_send_is_recorded_and_retried(db):
    email = OutgoingEmail.objects.create(to="bob@example.com", subject="Flaky", body="x")
    refused = ConnectionRefusedError("down")
    with mock.patch(SEND, side_effect=refused), pytest.raises(services.SendFailed):
        services.send(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == "retrying"
    assert "ConnectionRefusedError: down" in email.last_error
    assert email.claimed_until is None  # free for the retry
    assert services.send(email_id=email.pk) is True
    email.refresh_from_db()
    assert email.status == "sent" and email.last_error == ""


def test_the_task_schedules_a_retry_when_sending_fails(db):
    email = OutgoingEmail.objects.create(to="bob@example.com", subject="Flaky", body="x")
    retrying = mock.patch.object(tasks.send_email, "retry", side_effect=RuntimeError("retry scheduled"))
    with mock.patch(SEND, side_effect=OSError("down")), retrying as retry, pytest.raises(RuntimeError):
        tasks.send_email.run(email.pk)
    assert retry.call_args.kwargs["countdown"] == 30


def test_it_gives_up_after_the_last_attempt_and_reports_it(db, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    email = OutgoingEmail.objects.create(to="bob@example.com", subject="Doomed", body="x")
    with mock.patch(SEND, side_effect=OSError("bounced")):
        with pytest.raises(services.SendFailed):
            services.send(email_id=email.pk)
        services.send(email_id=email.pk)  # the last attempt marks it failed instead of raising
    email.refresh_from_db()
    assert email.status == "failed"
    assert services.pending_ids() == []


def test_an_admin_can_retry_failed_messages(db, django_capture_on_commit_callbacks):
    email = OutgoingEmail.objects.create(
        to="bob@example.com",
        subject="Again",
        body="x",
        attempts=5,
        failed_at=timezone.now(),
        last_error="OSError: bounced",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.retry_failed(email_ids=[email.pk]) == 1
    email.refresh_from_db()
    assert email.status == "sent"


def test_it_sends_attachments(db):
    email = OutgoingEmail.objects.create(
        to="bob@example.com",
        subject="Invite",
        body="x",
        attachments=[
            {"filename": "invite.ics", "content": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "mimetype": "text/calendar"}
        ],
    )
    services.send(email_id=email.pk)
    assert mail.outbox[0].attachments[0][0] == "invite.ics"


def test_the_admin_lists_failed_messages(client, org):
    OutgoingEmail.objects.create(to="x@example.com", subject="Bounced", body="x", failed_at=timezone.now())
    OutgoingEmail.objects.create(to="y@example.com", subject="Fine", body="x", sent_at=timezone.now())
    client.force_login(org.admin)
    html = client.get("/admin/outbox/outgoingemail/?status=failed").content.decode()
    assert "Bounced" in html and "Fine" not in html


def reset_email(client):
    client.post(reverse("password_reset"), {"email": "bob@example.com"})
    email = OutgoingEmail.objects.get(to="bob@example.com")
    link = re.search(r"/accounts/password/reset/\S+/", email.body).group(0)
    return email, link


def test_the_admin_never_shows_the_links_in_a_message(client, org):
    email, link = reset_email(client)
    client.force_login(org.admin)
    html = client.get(reverse("admin:outbox_outgoingemail_change", args=[email.pk])).content.decode()
    assert email.subject in html and "[link hidden]" in html
    assert link not in html and link.split("/")[-2] not in html  # neither the link nor its token


def test_a_sent_message_keeps_no_copy_of_its_text(client, org):
    email, link = reset_email(client)
    services.send(email_id=email.pk)
    email.refresh_from_db()
    assert email.sent_at is not None
    assert link not in email.body and email.html_body == ""
    assert "Removed after sending" in email.body
    assert link in mail.outbox[0].body  # what was sent was whole


def test_a_subject_with_line_breaks_is_sent_on_one_line(db):
    """A campaign's customer-facing title posted with a line break made every invitation fail (BadHeaderError)."""
    email = queue(subject="Your tickets\r\nBcc: someone@example.com\n")
    assert services.send(email_id=email.pk) is True
    assert [m.subject for m in mail.outbox] == ["Your tickets Bcc: someone@example.com"]
    assert mail.outbox[0].bcc == []


def test_a_sender_name_with_a_line_break_is_sent_on_one_line(db):
    email = queue(from_email='"Acme\nLtd via Keel" <keel@example.com>')
    assert services.send(email_id=email.pk) is True
    assert mail.outbox[0].from_email == '"Acme Ltd via Keel" <keel@example.com>'
