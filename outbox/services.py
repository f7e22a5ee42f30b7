"""Queueing and sending e-mail through the outbox: claim a row, send it, record the outcome."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.utils import timezone

from core import best_effort
from outbox.models import OutgoingEmail

log = logging.getLogger(__name__)

# How long a worker holds a message while sending; a worker killed mid-send frees it after this.
CLAIM_SECONDS = 5 * 60


# What a sent message's body becomes (the admin says so too).
SENT_BODY = "(Removed after sending: the text may have held links that sign in or answer.)"


class SendFailed(Exception):
    """Sending failed this time and the message will be tried again."""


def queue_email(
    *,
    to: str,
    subject: str,
    body: str,
    html_body: str = "",
    attachments=(),
    dedup_key: str | None = None,
    from_email: str = "",
) -> OutgoingEmail:
    """Store a message and nudge a worker to send it once the surrounding transaction commits.

    With a dedup_key, queueing the same message twice returns the existing row and sends nothing more. `from_email`
    is the whole From header (e.g. '"Acme via Keel" <keel@example.com>'); empty: settings.DEFAULT_FROM_EMAIL.
    """
    from outbox.tasks import send_email

    defaults = {
        "to": to,
        "from_email": " ".join(from_email.split())[:300],  # one line too: it names the organization
        # One line: a title typed with a line break (a campaign's customer-facing title, a session's) made every
        # send fail for good (BadHeaderError: header values can't contain newlines).
        "subject": " ".join(subject.split())[:255],
        "body": body,
        "html_body": html_body,
        "attachments": list(attachments),
    }
    if dedup_key:
        email, created = OutgoingEmail.objects.get_or_create(dedup_key=dedup_key, defaults=defaults)
    else:
        email, created = OutgoingEmail.objects.create(**defaults), True
    if created:
        best_effort.enqueue_on_commit(send_email, email.pk)
    return email


def claim(*, email_id: int) -> OutgoingEmail | None:
    """Take the message for this worker with a conditional UPDATE; None if it is sent, failed or held."""
    now = timezone.now()
    taken = (
        OutgoingEmail.objects.claimable(now)
        .filter(pk=email_id)
        .update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS), attempts=F("attempts") + 1)
    )
    return OutgoingEmail.objects.get(pk=email_id) if taken else None


def send_claimed(*, email: OutgoingEmail) -> None:
    """Send a claimed message and record the outcome.

    Raises SendFailed when the attempt failed and another will be made; after OUTBOX_MAX_ATTEMPTS the
    message is marked failed (shown in the admin) and nothing is raised.
    """
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body,
        from_email=email.from_email or settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
    )
    if email.html_body:
        message.attach_alternative(email.html_body, "text/html")
    for attachment in email.attachments:
        message.attach(attachment["filename"], attachment["content"], attachment.get("mimetype"))
    try:
        message.send()
    except Exception as error:  # any transport failure is recorded, never lost
        gave_up = email.attempts >= settings.OUTBOX_MAX_ATTEMPTS
        OutgoingEmail.objects.filter(pk=email.pk).update(
            claimed_until=None,
            last_error=f"{type(error).__name__}: {error}"[:2000],
            failed_at=timezone.now() if gave_up else None,
        )
        log.warning("e-mail %s attempt %s failed: %s", email.pk, email.attempts, error)
        if gave_up:
            return
        raise SendFailed(str(error)) from error
    # Once sent, the text is dropped: it may hold a password-reset or answer link, which no one should read later.
    OutgoingEmail.objects.filter(pk=email.pk).update(
        sent_at=timezone.now(), claimed_until=None, last_error="", body=SENT_BODY, html_body=""
    )


def send(*, email_id: int) -> bool:
    """Claim and send one message; False when there was nothing to do (already sent, failed or held)."""
    email = claim(email_id=email_id)
    if email is None:
        return False
    send_claimed(email=email)
    return True


def pending_ids(*, limit: int = 500) -> list[int]:
    """Messages a lost broker message or an expired claim left behind, oldest first."""
    return list(OutgoingEmail.objects.claimable().order_by("created_at").values_list("pk", flat=True)[:limit])


def send_pending() -> int:
    """Send what pending_ids() finds, one claim each; a message that fails is recorded on its row and tried again
    by a later run. Returns how many were sent."""
    sent = 0
    for email_id in pending_ids():
        try:
            sent += send(email_id=email_id)
        except SendFailed:
            continue
    return sent


def retry_failed(*, email_ids) -> int:
    """Give failed messages a fresh set of attempts (admin action); returns how many were re-queued."""
    from outbox.tasks import send_email

    ids = list(OutgoingEmail.objects.filter(pk__in=email_ids, failed_at__isnull=False).values_list("pk", flat=True))
    OutgoingEmail.objects.filter(pk__in=ids).update(failed_at=None, attempts=0, claimed_until=None)
    for email_id in ids:
        best_effort.enqueue_on_commit(send_email, email_id)
    return len(ids)
