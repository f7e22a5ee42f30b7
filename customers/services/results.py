"""What a campaign's results lead to: its scores recorded as metric readings, a revision draft of its definition,
and follow-ups changed by their owners and managers. The figures themselves are read by customers.selectors.results.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, time

from django.urls import reverse
from django.utils import timezone

from core import periods
from core.exceptions import RuleViolation
from customers.models import INTERNAL_MINIMUM, Campaign, Customer, FollowUp, Response
from customers.selectors.results import CampaignResults, QuestionResult, campaign_results
from metrics.models import Metric, Reading
from metrics.services.readings import ReadingRow, record_readings
from org import access
from org.models import User
from webhooks import services as webhooks
from webhooks.events import Event

log = logging.getLogger(__name__)


# --- scores feed metrics -----------------------------------------------------------------------------------------

SCORE_METRICS = {
    # key: (name, unit, direction, min, max, decimals)
    "gap": ("Reality-check gap", "points", Metric.Direction.LOWER, -100, 100, 0),
    "nps": ("Reality-check NPS", "", Metric.Direction.HIGHER, -100, 100, 0),
    "csat": ("Reality-check CSAT", "of 5", Metric.Direction.HIGHER, 1, 5, 2),
}


def score_metric(department, key: str) -> Metric:
    """The department's metric for one reality-check score, created on first use (a department-level metric whose
    latest reading is its value)."""
    name, unit, direction, low, high, decimals = SCORE_METRICS[key]
    metric, _created = Metric.objects.get_or_create(
        code=f"reality-check-{key}-{department.pk}",
        defaults={
            "department": department,
            "name": name,
            "unit": unit,
            "direction": direction,
            "aggregation": Metric.Aggregation.LAST,
            "owner_kind": Metric.Owner.DEPARTMENT,
            "frequency": Metric.Frequency.MONTHLY,
            "min_value": low,
            "max_value": high,
            "decimals": decimals,
            "description": "Recorded from customer reality checks when a campaign closes. "
            + ("Share of answers worse than promised minus share better, in points." if key == "gap" else ""),
        },
    )
    return metric


def measured_at(campaign: Campaign, *, now: datetime | None = None) -> datetime:
    """A campaign's scores are measured at the end of its last day in the organization's zone, or now if that is
    still ahead (scores recorded before the end are interim: the closing records the final ones)."""
    end = datetime.combine(campaign.ends_on, time(23, 59), tzinfo=periods.organization_zone())
    return min(end, (now or timezone.now()).replace(microsecond=0))


def record_campaign_scores(*, campaign: Campaign, by: User, override_reason: str = "") -> int:
    """Record the campaign's gap score, NPS and CSAT as readings of its department's score metrics, through
    metrics.services.readings.record_readings (source "reality check"); recording again updates the same readings.
    The gap of each criterion that a goal follows (its criterion gap metric exists) is recorded too.

    Internal campaigns below INTERNAL_MINIMUM responses, and scores nobody gave, are not recorded. Returns how many
    readings were written. Raises RuleViolation (ReadingsRejected) when `by` may not record them or the period is
    closed.
    """
    results = campaign_results(campaign, with_trend=False)
    if results.hidden or not results.responses:
        return 0
    note = f"{campaign.title}: {results.responses} responses"
    values = {"gap": results.gap, "nps": results.nps, "csat": results.csat}
    rows = [
        ReadingRow(
            metric=score_metric(campaign.department, key),
            person=None,
            measured_at=measured_at(campaign),
            value=float(value),
            note=note,
        )
        for key, value in values.items()
        if value is not None
    ]
    rows += _criterion_gap_rows(results)
    if not rows:
        return 0
    record_readings(rows=rows, recorded_by=by, source=Reading.Source.REALITY_CHECK, override_reason=override_reason)
    return len(rows)


def on_campaign_closed(campaign: Campaign) -> int:
    """Call when a campaign closes: records its scores on behalf of whoever created it, or else a manager of its
    department, or else an admin. Safe to call twice (the readings are updated, not duplicated)."""
    candidates = [campaign.created_by] if campaign.created_by else []
    candidates += list(campaign.department.managers.filter(is_active=True).order_by("username")[:1])
    candidates += list(User.objects.filter(is_staff=True, is_active=True).order_by("username")[:1])
    by = next((u for u in candidates if u.is_active and access.can_manage(u, campaign.department)), None)
    if by is None:
        log.warning("No one may record the scores of campaign %s; skipped.", campaign.pk)
        return 0
    try:
        return record_campaign_scores(campaign=campaign, by=by)
    except RuleViolation:
        # Usually a scorecard period closed before the campaign did. The scores still belong to that period:
        # an admin records them, with the reason kept on each reading.
        admin = User.objects.filter(is_staff=True, is_active=True).order_by("username").first()
        if admin is None:
            raise
        return record_campaign_scores(
            campaign=campaign, by=admin, override_reason=f"Scores of “{campaign}”, which closed after the period did"
        )


# --- from a criterion's gap to a goal ---------------------------------------------------------------------------------


def criterion_gap_code(campaign: Campaign, promise: str) -> str:
    """The code of the metric that follows one criterion's gap for a department and definition. A criterion is
    known by its promise in its own words, so it stays the same criterion across versions that keep those words."""
    words = " ".join(promise.split()).casefold()
    digest = hashlib.sha1(words.encode(), usedforsecurity=False).hexdigest()[:10]
    return f"reality-check-gap-{campaign.department_id}-{campaign.definition_id}-{digest}"


def criterion_gap_metric(campaign: Campaign, promise: str, *, create: bool = True) -> Metric | None:
    """The department's metric for the gap on one criterion of the campaign's definition (created on first use
    unless create=False, then None when there is none yet)."""
    code = criterion_gap_code(campaign, promise)
    if not create:
        return Metric.objects.filter(code=code).first()
    name = f"Reality-check gap: {' '.join(promise.split())}"
    if len(name) > 120:
        name = name[:119] + "…"
    metric, _created = Metric.objects.get_or_create(
        code=code,
        defaults={
            "department": campaign.department,
            "name": name,
            "unit": "points",
            "direction": Metric.Direction.LOWER,
            "aggregation": Metric.Aggregation.LAST,
            "owner_kind": Metric.Owner.DEPARTMENT,
            "frequency": Metric.Frequency.MONTHLY,
            "min_value": -100,
            "max_value": 100,
            "decimals": 0,
            "description": f"Recorded from customer reality checks on “{campaign.definition}” when a campaign "
            "closes: share of answers on this criterion worse than promised minus share better, in points.",
        },
    )
    return metric


def _criterion_gap_rows(results: CampaignResults) -> list[ReadingRow]:
    """Readings of the criterion gap metrics that already exist (those goals follow), one per answered criterion."""
    campaign, rows = results.campaign, []
    for q in results.questions:
        metric = criterion_gap_metric(campaign, q.promise, create=False) if q.n else None
        if metric is not None:
            note = f"{campaign.title}: {q.n} answers on this criterion"
            rows.append(
                ReadingRow(metric=metric, person=None, measured_at=measured_at(campaign), value=q.gap, note=note)
            )
    return rows


@dataclass(frozen=True)
class GapGoalStart:
    """What a goal started from a criterion's gap measures: the metric, its baseline (the gap the campaign
    measured) and its target (no more people let down than pleasantly surprised)."""

    metric: Metric
    question: QuestionResult
    baseline: float
    target: float = 0.0


def start_gap_goal(*, campaign: Campaign, by: User, question_id: int | None = None) -> GapGoalStart:
    """Make a criterion's gap measurable by a goal: the criterion's gap metric for the campaign's department and
    definition, with this campaign's gap recorded as its reading (later campaigns on the same definition record
    theirs when they close). The goal starts at 0 %: its baseline is that reading.

    question_id picks the criterion (default: the largest gap). Raises RuleViolation when `by` may not manage the
    department, the results are hidden, or the criterion has no gap to close (no answers, or none worse than
    promised on balance).
    """
    if not access.can_manage(by, campaign.department):
        raise RuleViolation(f"Only managers of {campaign.department} may set its goals.")
    results = campaign_results(campaign, with_trend=False)
    if results.hidden:
        raise RuleViolation("The results of this campaign are not shown yet, so no goal can be measured on them.")
    question = (
        next((q for q in results.questions if q.question_id == question_id), None)
        if question_id is not None
        else results.worst
    )
    if question is None or not question.n:
        raise RuleViolation("That criterion has no answers in this campaign: there is no gap to measure.")
    if question.gap <= 0:
        raise RuleViolation(
            f"On “{question.promise}” no more answers were worse than promised than better (gap {question.gap:+g} "
            "points): there is no gap to close."
        )
    metric = criterion_gap_metric(campaign, question.promise)
    note = f"{campaign.title}: {question.n} answers on this criterion"
    row = ReadingRow(metric=metric, person=None, measured_at=measured_at(campaign), value=question.gap, note=note)
    record_readings(rows=[row], recorded_by=by, source=Reading.Source.REALITY_CHECK)
    return GapGoalStart(metric=metric, question=question, baseline=question.gap)


# --- from a gap to a revision ----------------------------------------------------------------------------------------


def propose_revision(*, campaign: Campaign, by: User):
    """Start a revision draft of the campaign's definition, a copy of its current version for the manager to edit
    (an existing draft is kept as it is). Returns the draft. Raises RuleViolation when `by` may not change the
    definition or it is retired."""
    from goals.services import definitions  # customers sits above goals; imported here to keep module import light

    definition = campaign.definition
    draft = definitions.draft_of(definition)
    if draft is not None:
        return draft
    current = definitions.current_version(definition) or campaign.version
    criteria = [
        definitions.CriterionRow(text=c.text, metric=c.metric, threshold=c.threshold)
        for c in current.criteria.select_related("metric").order_by("position", "pk")
    ]
    return definitions.save_draft(
        definition=definition, by=by, promise=current.promise, criteria=criteria, keep_if_unchanged=True
    )


# --- follow-ups ------------------------------------------------------------------------------------------------------


def update_follow_up(
    *, follow_up: FollowUp, by: User, owner: User | None, due_date, status: str, resolution: str
) -> FollowUp:
    """Change who owns a follow-up, when it is due, its status and resolution note. Closing needs a resolution
    and stamps closed_at (kept when it was already closed); reopening clears it.

    Raises RuleViolation when `by` neither manages the follow-up's department nor owns it, or a close has no note.
    """
    if not (access.can_manage(by, follow_up.department) or follow_up.owner_id == by.pk):
        raise RuleViolation("Only the owner or a manager of the department may change this follow-up.")
    resolution = resolution.strip()
    if status == FollowUp.Status.CLOSED and not resolution:
        raise RuleViolation(
            "Say in a sentence what was done before closing it, e.g. “Called back; refund sent.”", field="resolution"
        )
    if owner is not None and not (owner.department and owner.department.is_below(follow_up.department)):
        raise RuleViolation(f"Choose an owner in {follow_up.department} or a department below it.", field="owner")
    if status == FollowUp.Status.CLOSED:
        follow_up.closed_at = follow_up.closed_at or timezone.now()
    else:
        follow_up.closed_at = None
    follow_up.owner, follow_up.due_date, follow_up.status, follow_up.resolution = owner, due_date, status, resolution
    follow_up.save(update_fields=["owner", "due_date", "status", "resolution", "closed_at"])
    return follow_up


@dataclass(frozen=True)
class BulkOutcome:
    """What a bulk change did: how many follow-ups changed, and how many of those chosen were left alone (not the
    person's to change, already in that state, or the owner is not in their department)."""

    changed: int
    skipped: int


BULK_ASSIGN, BULK_CLOSE = "assign", "close"
BULK_LIMIT = 500  # one page of choices is 50; a hand-made request for more is cut here


def managed_follow_ups(*, by: User, ids):
    """The follow-ups among `ids` that `by` may change in bulk: those of departments they manage (anonymity-hidden
    ones excluded). Others (another department's, unknown ids) are not in it."""
    return FollowUp.objects.filter(pk__in=list(ids)[:BULK_LIMIT], department__in=access.managed_departments(by)).shown()


def bulk_change_follow_ups(
    *, by: User, ids, action: str, owner: User | None = None, resolution: str = "", now: datetime | None = None
) -> BulkOutcome:
    """Assign (`owner`) or close (with one `resolution` note for all) the chosen follow-ups of departments `by`
    manages. Follow-ups `by` does not manage are ignored and counted as skipped, like already-closed ones (for a
    close) and those whose department the owner is not in or below (for an assign). Two UPDATEs at most.

    Raises RuleViolation for an unknown action, a close without a note or an assign without an owner.
    """
    chosen = list(ids)[:BULK_LIMIT]
    allowed = managed_follow_ups(by=by, ids=chosen)
    if action == BULK_CLOSE:
        resolution = resolution.strip()
        if not resolution:
            raise RuleViolation(
                "Say in a sentence what was done before closing them, e.g. “Called back; refund sent.”",
                field="resolution",
            )
        changed = allowed.open().update(
            status=FollowUp.Status.CLOSED, resolution=resolution[:4000], closed_at=now or timezone.now()
        )
    elif action == BULK_ASSIGN:
        if owner is None or not owner.is_active or owner.department_id is None:
            raise RuleViolation("Choose who takes them over.", field="owner")
        # The owner must be in the follow-up's department or below it: it is the owner's department or an ancestor.
        owner_departments = [*owner.department.ancestor_ids, owner.department_id]
        changed = allowed.filter(department_id__in=owner_departments).update(owner=owner)
    else:
        raise RuleViolation("Choose what to do with the chosen follow-ups.", field="action")
    return BulkOutcome(changed=changed, skipped=len(set(chosen)) - changed)


# --- webhook events ----------------------------------------------------------------------------------------------
# Anonymity: nothing derived from the answers of an internal campaign leaves through a webhook before
# INTERNAL_MINIMUM colleagues answered it, the rule of the pages (customers.models.too_few_to_show).


def _follow_up_payload(follow_up: FollowUp) -> dict:
    campaign, department = follow_up.campaign, follow_up.department
    return {
        "follow_up": {
            "id": follow_up.pk,
            "reason": follow_up.reason,
            "status": follow_up.status,
            "due_date": follow_up.due_date,
            "owner": follow_up.owner.display_name if follow_up.owner else None,
        },
        "campaign": {"id": campaign.pk, "title": campaign.title, "audience": campaign.audience},
        "department": {"id": department.pk, "code": department.code, "name": department.name},
    }


def _emit_follow_up(follow_up: FollowUp, *, event: str, summary: str, key: str) -> int:
    return webhooks.emit(
        event=event,
        departments=[follow_up.department],
        payload=_follow_up_payload(follow_up),
        summary=summary,
        url=reverse("customers:follow_up", args=[follow_up.pk]),
        key=key,
    )


def announce_opened_follow_ups(*, campaign: Campaign, created: list[FollowUp]) -> int:
    """Emit "follow_up.opened" for the follow-ups a response just opened; returns how many deliveries were queued.

    An internal campaign's follow-ups wait for its INTERNAL_MINIMUM-th response, which announces all of them at
    once (each follow-up once: the event key); before it, nothing leaves, not even that one was opened.
    Call it for every response to an internal campaign, with or without follow-ups of its own.
    """
    if not webhooks.is_wanted(event=Event.FOLLOW_UP_OPENED):
        return 0
    if campaign.audience == Customer.Kind.INTERNAL:
        answered = Response.objects.filter(campaign=campaign).count()
        if answered < INTERNAL_MINIMUM:
            return 0
        if answered == INTERNAL_MINIMUM:
            created = list(FollowUp.objects.filter(campaign=campaign).order_by("pk"))
    queued = 0
    for follow_up in created:
        follow_up.campaign = campaign
        queued += _emit_follow_up(
            follow_up,
            event=Event.FOLLOW_UP_OPENED,
            summary=f"Follow-up opened for {follow_up.department} (“{campaign.title}”): {follow_up.reason}",
            key=f"follow_up.opened:{follow_up.pk}",
        )
    return queued


def announce_overdue_follow_ups(*, today=None) -> int:
    """Emit "follow_up.overdue" once for each open follow-up whose due date passed (again if it is given a new
    due date and misses that too), leaving out those of internal campaigns below the anonymity minimum. Safe to
    run twice: the event key makes the second run queue nothing. Returns how many deliveries were queued."""
    if not webhooks.is_wanted(event=Event.FOLLOW_UP_OVERDUE):
        return 0
    today = today or periods.today()
    overdue = (
        FollowUp.objects.overdue(today)
        .shown()
        .select_related("campaign", "department", "owner")
        .order_by("due_date", "pk")
    )
    queued = 0
    for follow_up in overdue.iterator(chunk_size=500):
        queued += _emit_follow_up(
            follow_up,
            event=Event.FOLLOW_UP_OVERDUE,
            summary=(
                f"Follow-up overdue since {follow_up.due_date:%d %b %Y} in {follow_up.department} "
                f"(“{follow_up.campaign.title}”): {follow_up.reason}"
            ),
            key=f"follow_up.overdue:{follow_up.pk}:{follow_up.due_date:%Y-%m-%d}",
        )
    return queued


def announce_campaign_closed(campaign: Campaign) -> int:
    """Emit "campaign.closed". The number of responses goes along unless the campaign is internal and below the
    anonymity minimum (then "responses" is null and "results_shown" false)."""
    if not webhooks.is_wanted(event=Event.CAMPAIGN_CLOSED):
        return 0
    answered = Response.objects.filter(campaign=campaign).count()
    shown = campaign.audience != Customer.Kind.INTERNAL or answered >= INTERNAL_MINIMUM
    department = campaign.department
    return webhooks.emit(
        event=Event.CAMPAIGN_CLOSED,
        departments=[department],
        payload={
            "campaign": {
                "id": campaign.pk,
                "title": campaign.title,
                "audience": campaign.audience,
                "starts_on": campaign.starts_on,
                "ends_on": campaign.ends_on,
                "closed_at": campaign.closed_at,
            },
            "department": {"id": department.pk, "code": department.code, "name": department.name},
            "responses": answered if shown else None,
            "results_shown": shown,
        },
        summary=f"Reality-check campaign “{campaign.title}” of {department} closed.",
        url=campaign.get_absolute_url(),
        key=f"campaign.closed:{campaign.pk}",
    )
