"""Answering a reality check through a single-use link: finding the recipient, saving drafts, submitting once."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from core import periods
from core.exceptions import RuleViolation
from customers.models import Answer, Campaign, CampaignQuestion, FollowUp, Recipient, Response
from customers.services.results import announce_opened_follow_ups
from customers.tokens import hash_token

FOLLOW_UP_DAYS = 14  # a follow-up is due two weeks after the answer that opened it
LOW_NPS = 6  # detractors
LOW_CSAT = 2  # dissatisfied or very dissatisfied


class LinkRefused(RuleViolation):
    """The link cannot be answered; `reason` is one of UNKNOWN, USED, EXPIRED, CLOSED, MOVED (an internal
    recipient who left or moved out of the customer department since they were asked)."""

    UNKNOWN, USED, EXPIRED, CLOSED, MOVED = "unknown", "used", "expired", "closed", "moved"
    MESSAGES = {
        UNKNOWN: "We could not find this questionnaire. Please check that the whole link was copied.",
        USED: "This questionnaire has already been answered. Thank you for your time.",
        EXPIRED: "This link has expired, so the questionnaire can no longer be answered.",
        CLOSED: "This survey is closed, so the questionnaire can no longer be answered.",
        MOVED: "This questionnaire asks the people of a department you no longer belong to, so it can no longer be "
        "answered from this link.",
    }

    def __init__(self, reason: str):
        super().__init__(self.MESSAGES[reason])
        self.reason = reason


@dataclass(frozen=True)
class AnswerRow:
    """One question's answer as submitted: a rating on the one scale, 1 far worse than promised, 4 as promised, 7
    far better."""

    question: CampaignQuestion
    rating: int


def recipient_for_token(token: str, *, now: datetime | None = None) -> Recipient:
    """The recipient whose link this is, with its campaign and version loaded (one query; two for a colleague).

    Raises LinkRefused: unknown (no such hash, or the campaign was never sent), used, expired, closed, or moved (a
    colleague who left or moved out of the customer department: they are no longer asked, nor counted).
    """
    now = now or timezone.now()
    recipient = (
        Recipient.objects.select_related("campaign__version", "campaign__department", "customer")
        .filter(token_hash=hash_token(token or ""))
        .first()
    )
    if recipient is None or recipient.campaign.status == Campaign.Status.DRAFT:
        raise LinkRefused(LinkRefused.UNKNOWN)
    if recipient.submitted_at is not None:
        raise LinkRefused(LinkRefused.USED)
    if recipient.campaign.status == Campaign.Status.CLOSED:
        raise LinkRefused(LinkRefused.CLOSED)
    if recipient.expires_at <= now:
        raise LinkRefused(LinkRefused.EXPIRED)
    if recipient.person_id is not None and not Recipient.objects.still_asked().filter(pk=recipient.pk).exists():
        raise LinkRefused(LinkRefused.MOVED)
    return recipient


def save_draft(*, recipient: Recipient, data: dict) -> None:
    """Keep partial answers on the recipient (replacing the earlier draft); saving twice is harmless.

    Raises LinkRefused(USED) when the questionnaire was submitted meanwhile (e.g. in another tab).
    """
    saved = Recipient.objects.filter(pk=recipient.pk, submitted_at__isnull=True).update(draft=data)
    if not saved:
        raise LinkRefused(LinkRefused.USED)
    recipient.draft = data


def follow_up_reason(*, rows: list[AnswerRow], nps: int | None, csat: int | None) -> str:
    """What one follow-up of a response says, or "" when nothing in it needs following up: every answer worse than
    promised (below 4 of 7), an NPS of LOW_NPS or less, a CSAT of LOW_CSAT or less. At most 300 characters (the
    follow-up's page lists the low answers in full)."""
    low = [row for row in rows if Answer.comparison_of(row.rating) == Answer.Comparison.WORSE]
    parts = []
    if len(low) == 1:
        row = low[0]
        parts.append(f"{Answer.Rating(row.rating).label}: “{row.question.promise}” ({row.rating} of 7)")
    elif low:
        promises = ", ".join(f"“{row.question.promise}” ({row.rating} of 7)" for row in low)
        parts.append(f"{len(low)} answers worse than promised: {promises}")
    overall = []
    if nps is not None and nps <= LOW_NPS:
        overall.append(f"would recommend us {nps} of 10")
    if csat is not None and csat <= LOW_CSAT:
        overall.append(f"satisfaction {csat} of 5")
    if overall:
        parts.append("Low overall score: " + ", ".join(overall))
    reason = "; ".join(parts)
    return reason if len(reason) <= 300 else reason[:299] + "…"


def submit(
    *,
    recipient: Recipient,
    answers: list[AnswerRow],
    comment: str = "",
    nps: int | None = None,
    csat: int | None = None,
    now: datetime | None = None,
) -> Response:
    """Store the answers once: claim the link, then write the response, its answers and any follow-ups.

    The claim is a conditional UPDATE, so of two simultaneous submits (double click, two tabs) exactly one
    writes; the other raises LinkRefused(USED). A response with answers worse than promised (below 4 of 7), an NPS
    of 6 or less or a CSAT of 2 or less opens ONE follow-up listing them (follow_up_reason) for the campaign's
    department, owned by its first manager and due in FOLLOW_UP_DAYS. Raises LinkRefused when the link is no
    longer answerable.
    """
    now = now or timezone.now()
    campaign = recipient.campaign
    if campaign.status != Campaign.Status.SENT:
        raise LinkRefused(LinkRefused.CLOSED if campaign.status == Campaign.Status.CLOSED else LinkRefused.UNKNOWN)
    with transaction.atomic():
        # Conditions on this table only: a filter through a join becomes `pk IN (subquery)`, which PostgreSQL
        # does not re-check after waiting for a concurrent claim's lock, and both claims would succeed.
        claimed = Recipient.objects.filter(pk=recipient.pk, submitted_at__isnull=True, expires_at__gt=now).update(
            submitted_at=now, draft={}
        )
        if claimed != 1:
            raise LinkRefused(LinkRefused.USED)
        response = Response.objects.create(
            recipient=recipient,
            campaign=campaign,
            comment=comment.strip(),
            nps=nps if campaign.include_nps else None,
            csat=csat if campaign.include_csat else None,
            submitted_at=now,
        )
        Answer.objects.bulk_create(
            [Answer(response=response, question=row.question, rating=row.rating) for row in answers]
        )
        reason = follow_up_reason(rows=answers, nps=response.nps, csat=response.csat)
        if reason:
            opened = [
                FollowUp.objects.create(
                    campaign=campaign,
                    response=response,
                    department=campaign.department,
                    reason=reason,
                    owner=campaign.department.managers.order_by("username").first(),
                    due_date=periods.local_day(now) + timedelta(days=FOLLOW_UP_DAYS),
                )
            ]
        else:
            opened = []
        announce_opened_follow_ups(campaign=campaign, created=opened)
    recipient.submitted_at = now
    return response
