"""Reads of the campaign page: who was drawn, how the invitations went out, response rates per segment.

Each is one query (the recipients one a page of them). For internal campaigns nothing here says who answered: the
recipients list shows no answered state, and the per-segment response counts show only once the campaign has at
least INTERNAL_MINIMUM responses.
"""

from dataclasses import dataclass

from django.db.models import CharField, Count, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat

from customers.models import INTERNAL_MINIMUM, Campaign, Customer
from outbox.models import OutgoingEmail

# Why the draw left people out (customers.services.sampling.REASONS), said the way people read it.
EXCLUSION_REASONS = {
    "opted_out": "Opted out (never to be asked again)",
    "no_email": "No e-mail address",
    "recently_asked": "Asked within the last {days} days",
}


@dataclass(frozen=True)
class SegmentRate:
    segment: str
    drawn: int
    invited: int
    answered: int | None  # None: hidden (an internal campaign below the anonymity minimum)

    @property
    def rate(self) -> float | None:
        """Answered per invited, in percent; None when nobody was invited yet or the count is hidden."""
        if self.answered is None or not self.invited:
            return None
        return 100 * self.answered / self.invited


@dataclass(frozen=True)
class Delivery:
    """Where the campaign's invitations are: drawn, invitation queued in the outbox, handed to the mail server."""

    recipients: int
    queued: int  # an invitation e-mail exists (Recipient.sent_at is set when it is queued)
    delivered: int  # the outbox handed it to the mail server
    failed: int

    @property
    def waiting(self) -> int:
        """Drawn, but no invitation queued yet (the sending task runs within minutes of sending)."""
        return self.recipients - self.queued


def exclusions_from(audit: dict | None, campaign: Campaign) -> list[tuple[str, str, int]]:
    """(reason key, what it means, how many) for every reason a draw applies, from an audit or a forecast."""
    audit = audit or {}
    excluded = audit.get("excluded", {})
    days = audit.get("exclude_days", campaign.exclude_days)
    return [(key, label.format(days=days), excluded.get(key, 0)) for key, label in EXCLUSION_REASONS.items()]


def exclusions(campaign: Campaign) -> list[tuple[str, str, int]]:
    """exclusions_from the campaign's stored draw audit (zeros before the draw)."""
    return exclusions_from(campaign.draw_audit, campaign)


def delivery(campaign: Campaign) -> Delivery:
    """How far the invitations went: queued (an e-mail row exists), delivered (the outbox handed it to the mail
    server) or failed (every attempt failed). One query; the outbox rows are found by their unique dedup key."""
    invitation = OutgoingEmail.objects.filter(
        dedup_key=Concat(Value("reality-invite:"), Cast(OuterRef("pk"), CharField()))
    )
    counts = campaign.recipients.aggregate(
        recipients=Count("pk"),
        queued=Count("pk", filter=Q(sent_at__isnull=False)),
        delivered=Count("pk", filter=Q(Exists(invitation.filter(sent_at__isnull=False)))),
        failed=Count("pk", filter=Q(Exists(invitation.filter(failed_at__isnull=False)))),
    )
    return Delivery(**counts)


def segment_rates(campaign: Campaign) -> list[SegmentRate]:
    """Drawn, invited and answered recipients per segment, by segment name. One query. An internal campaign below
    INTERNAL_MINIMUM responses shows no answered counts."""
    rows = (
        campaign.recipients.values("segment")
        .annotate(
            drawn=Count("pk"),
            invited=Count("pk", filter=Q(sent_at__isnull=False)),
            answered=Count("pk", filter=Q(submitted_at__isnull=False)),
        )
        .order_by("segment")
    )
    rows = list(rows)
    hidden = campaign.audience == Customer.Kind.INTERNAL and sum(r["answered"] for r in rows) < INTERNAL_MINIMUM
    return [
        SegmentRate(
            segment=r["segment"], drawn=r["drawn"], invited=r["invited"], answered=None if hidden else r["answered"]
        )
        for r in rows
    ]


def sampled(campaign: Campaign):
    """The campaign's recipients for the sample list, by name (the customer's, or the colleague's): paginate it."""
    return (
        campaign.recipients.select_related("customer", "person")
        .only(
            "pk",
            "campaign_id",
            "customer_id",
            "person_id",
            "segment",
            "sent_at",
            "submitted_at",
            "customer__name",
            "customer__email",
            "person__first_name",
            "person__last_name",
            "person__username",
            "person__email",
        )
        .order_by("customer__name", "person__last_name", "person__first_name", "pk")
    )
