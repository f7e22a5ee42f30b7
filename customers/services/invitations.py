"""Reality-check invitations and at most two reminders, each with a single-use answer link.

Each function re-derives its work from the database and claims every row with a conditional UPDATE, so a run
repeated, retried or racing another does nothing twice (beat runs them through customers.tasks).
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from customers.models import Customer, Recipient
from customers.tokens import new_token
from outbox.services import queue_email

# Days after the invitation when the first and the second reminder go out; never more than these two.
REMINDER_DAYS = (3, 7)
BATCH = 500


def answer_link(token: str) -> str:
    base = settings.KEEL_SITE_URL.rstrip("/")
    return f"{base}/r/{token}/"


def _message(recipient: Recipient, token: str, *, reminder: int = 0) -> tuple[str, str]:
    campaign = recipient.campaign
    name = recipient.person.get_full_name() if recipient.person_id else recipient.customer.name
    lead = (
        "A short reminder: we would still value your answer."
        if reminder
        else f"{campaign.department} made promises about “{campaign.definition}”. Did we keep them?"
    )
    subject = f"Reminder: {campaign.title}" if reminder else campaign.title
    body = (
        f"Hello {name or 'there'},\n\n{lead}\n\n"
        "We show you each promise in our own words; tell us how your experience compared, and candidly "
        "what we could do better. It takes a few minutes, and needs no account.\n\n"
        f"{answer_link(token)}\n\n"
        f"The link works once, until {campaign.ends_on:%d %B %Y}"
        f"{'; it replaces the one we sent before' if reminder else ''}.\n"
        "If you would rather not be asked again, say so on that page.\n"
    )
    return subject, body


def _address(recipient: Recipient) -> str:
    return recipient.person.email if recipient.person_id else recipient.customer.email


def send_invitations(*, now=None) -> int:
    """Invite every drawn, not yet invited recipient of a sent, still open campaign. Returns how many."""
    now = now or timezone.now()
    pending = Recipient.objects.still_asked().to_invite(now).values_list("pk", flat=True)
    sent = 0
    for pk in list(pending[: BATCH * 20]):
        token, token_hash = new_token()
        with transaction.atomic():
            # The claim stores the link's hash in the same UPDATE: only the run that claims it mails the token.
            if not Recipient.objects.filter(pk=pk, sent_at__isnull=True).update(sent_at=now, token_hash=token_hash):
                continue
            recipient = Recipient.objects.select_related(
                "campaign__department", "campaign__definition", "customer", "person"
            ).get(pk=pk)
            subject, body = _message(recipient, token)
            queue_email(to=_address(recipient), subject=subject, body=body, dedup_key=f"reality-invite:{pk}")
            Customer.objects.filter(pk=recipient.customer_id).update(last_contacted_at=now)
        sent += 1
    return sent


def send_reminders(*, now=None) -> int:
    """Remind recipients who have not answered, at REMINDER_DAYS after the invitation, at most twice.

    Only the token's hash is stored, so an old link cannot be mailed again: each reminder issues a NEW token
    (its hash replaces the old one in the claiming UPDATE), and the link of the earlier e-mail stops working.
    """
    now = now or timezone.now()
    open_recipients = Recipient.objects.still_asked().awaiting_answer(now)
    sent = 0
    for number, days in enumerate(REMINDER_DAYS):
        due = open_recipients.filter(reminders=number, sent_at__lte=now - timedelta(days=days))
        if number:  # a late run must not send the second reminder right after the first
            due = due.filter(reminded_at__lte=now - timedelta(days=days - REMINDER_DAYS[number - 1]))
        for pk in list(due.values_list("pk", flat=True)[: BATCH * 20]):
            token, token_hash = new_token()
            with transaction.atomic():
                if not Recipient.objects.filter(pk=pk, reminders=number, submitted_at__isnull=True).update(
                    reminders=number + 1, reminded_at=now, token_hash=token_hash
                ):
                    continue
                recipient = Recipient.objects.select_related(
                    "campaign__department", "campaign__definition", "customer", "person"
                ).get(pk=pk)
                subject, body = _message(recipient, token, reminder=number + 1)
                queue_email(
                    to=_address(recipient), subject=subject, body=body, dedup_key=f"reality-reminder:{pk}:{number + 1}"
                )
                Customer.objects.filter(pk=recipient.customer_id).update(last_contacted_at=now)
            sent += 1
    return sent
