"""What a campaign's results lead to: its scores recorded as metric readings, a revision draft of its definition,
and follow-ups changed by their owners and managers. The figures themselves are read by customers.selectors.results.
"""

import logging
from datetime import datetime, time

from django.utils import timezone

from core import periods
from core.exceptions import RuleViolation
from customers.models import Campaign, FollowUp
from customers.selectors.results import campaign_results
from metrics.models import Metric, Reading
from metrics.services.readings import ReadingRow, record_readings
from org import access
from org.models import User

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
