"""Reality-check invitations and at most two reminders, each with a single-use answer link.

Each function re-derives its work from the database and claims every row with a conditional UPDATE, so a run
repeated, retried or racing another does nothing twice (beat runs them through customers.tasks).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext

from customers.models import Campaign, Customer, Recipient
from customers.tokens import new_token
from org.selectors import sender_on_behalf
from outbox.services import queue_email

# Days after the invitation when the first and the second reminder go out; never more than these two.
REMINDER_DAYS = (3, 7)
BATCH = 500


def answer_link(token: str) -> str:
    base = settings.KEEL_SITE_URL.rstrip("/")
    return f"{base}/r/{token}/"


@dataclass(frozen=True)
class Message:
    """An invitation or reminder as it is queued: the From header, subject, text and HTML bodies."""

    from_email: str
    subject: str
    body: str
    html_body: str


def compose(*, campaign: Campaign, name: str, link: str, expires_at: datetime, reminder: int = 0) -> Message:
    """The invitation (reminder=0) or the reminder number `reminder` of one person, from the templates
    emails/customers_invitation.{txt,html}: subject the campaign's customer-facing title, From the organization
    "via Keel", the last day the link works in the organization's zone. The preview shows the same message."""
    context = {"campaign": campaign, "name": name, "link": link, "expires_at": expires_at, "reminder": reminder}
    subject = campaign.customer_title
    if reminder:
        subject = gettext("Reminder: %(title)s") % {"title": subject}
    context["subject"] = subject
    return Message(
        from_email=sender_on_behalf(),
        subject=subject,
        body=render_to_string("emails/customers_invitation.txt", context),
        html_body=render_to_string("emails/customers_invitation.html", context),
    )


def _message(recipient: Recipient, token: str, *, reminder: int = 0) -> Message:
    name = recipient.person.get_full_name() if recipient.person_id else recipient.customer.name
    return compose(
        campaign=recipient.campaign,
        name=name,
        link=answer_link(token),
        expires_at=recipient.expires_at,
        reminder=reminder,
    )


def _queue(recipient: Recipient, message: Message, *, dedup_key: str) -> None:
    queue_email(
        to=_address(recipient),
        from_email=message.from_email,
        subject=message.subject,
        body=message.body,
        html_body=message.html_body,
        dedup_key=dedup_key,
    )


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
            _queue(recipient, _message(recipient, token), dedup_key=f"reality-invite:{pk}")
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
                message = _message(recipient, token, reminder=number + 1)
                _queue(recipient, message, dedup_key=f"reality-reminder:{pk}:{number + 1}")
                Customer.objects.filter(pk=recipient.customer_id).update(last_contacted_at=now)
            sent += 1
    return sent
