"""Closing a period (freezing its scorecard) and the awards suggested from, or added to, the frozen figures.

Suggestions are computed from ClosedPeriod.scorecard, the JSON stored when the period closed, never from live
rollups: what a manager confirms is what everyone saw when the period was frozen.
"""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from core import dates, periods
from core.exceptions import RuleViolation
from metrics.models import Award, ClosedPeriod
from metrics.selectors.scorecards import build_scorecard
from metrics.services import rollups
from org import access
from org.models import Department, User
from webhooks import services as webhooks
from webhooks.events import Event

Rule = ClosedPeriod.Rule
MAX_TOP_N = 50


def rule_title(rule: str, top_n: int) -> str:
    """The title of the awards a rule suggests."""
    if rule == Rule.TOP_WEIGHTED:
        return f"Top {top_n} by weighted score"
    return "On target on every metric"


def suggestions(*, scorecard: dict, rule: str, top_n: int) -> list[dict]:
    """Frozen person rows that earn an award under the rule, best first.

    ALL_ON_TARGET: every person on track on every metric with a target that applies to them (at least one).
    TOP_WEIGHTED: the top_n people by weighted score; a tie at the last place includes everyone tied;
    people without a score, or who earned no points at all, are never ranked.
    """
    rows = [r for r in scorecard["rows"] if r["kind"] == "person"]
    if rule == Rule.ALL_ON_TARGET:
        return sorted((r for r in rows if r["on_target"]), key=lambda r: (-(r["score"] or 0), r["name"]))
    if rule == Rule.TOP_WEIGHTED:
        ranked = sorted((r for r in rows if r["score"]), key=lambda r: (-r["score"], r["name"]))
        if len(ranked) <= top_n:
            return ranked
        cutoff = ranked[top_n - 1]["score"]
        return [r for r in ranked if r["score"] >= cutoff]
    raise ValueError(f"unknown rule {rule!r}")


def _check_manages(user: User, department: Department) -> None:
    if not access.can_manage(user, department):
        raise RuleViolation(f"Only a manager of {department} or an admin may do this.")


def close_period(
    *, department: Department, period: str, start: date, rule: str, top_n: int, closed_by: User
) -> ClosedPeriod:
    """Freeze a department's scorecard for an ended period and suggest awards from the frozen figures.

    Brings rollups up to date first, so the frozen figures include every reading recorded so far. From then on
    record_readings refuses readings in the period for the department and everything below it (an admin may
    still record one with a reason; the frozen scorecard does not change).
    Raises RuleViolation when the period has not ended, is already closed, the rule is unknown or top_n is out
    of range, or closed_by does not manage the department.
    """
    _check_manages(closed_by, department)
    if period not in periods.PERIODS:
        raise RuleViolation("Choose a day, a week or a month to close.", field="period")
    if rule not in Rule.values:
        raise RuleViolation("Choose how Keel should suggest awards.", field="rule")
    if rule == Rule.TOP_WEIGHTED and not 1 <= top_n <= MAX_TOP_N:
        raise RuleViolation(f"The number of top people must be between 1 and {MAX_TOP_N}.", field="top_n")
    dates.check(start, field="start")
    start = periods.bucket_start(start, period)
    end = periods.bucket_end(start, period)
    label = periods.label(start, period)
    _refuse_if_closed(department, period, start, label)
    if end >= periods.today():
        opens = end + timedelta(days=1)
        raise RuleViolation(
            f"{label} has not ended yet: it can be closed from {opens:%a %d %b %Y}, once every reading for it is in."
        )
    rollups.run()
    with transaction.atomic():
        frozen = build_scorecard(department=department, period=period, start=start).to_json()
        try:
            with transaction.atomic():
                closed = ClosedPeriod.objects.create(
                    department=department,
                    period=period,
                    start=start,
                    end=end,
                    rule=rule,
                    top_n=top_n,
                    scorecard=frozen,
                    closed_by=closed_by,
                )
        except IntegrityError:  # closed by someone else a moment ago
            _refuse_if_closed(department, period, start, label)
            raise
        title = rule_title(rule, top_n)
        Award.objects.bulk_create(
            [
                Award(
                    closed_period=closed,
                    person_id=r["id"],
                    title=title,
                    score=r["score"],
                    suggested=True,
                    created_by=closed_by,
                )
                for r in suggestions(scorecard=closed.scorecard, rule=rule, top_n=top_n)
            ]
        )
    return closed


def _refuse_if_closed(department: Department, period: str, start: date, label: str) -> None:
    earlier = (
        ClosedPeriod.objects.filter(department=department, period=period, start=start)
        .select_related("closed_by")
        .first()
    )
    if earlier is not None:
        who = f" by {earlier.closed_by}" if earlier.closed_by else ""
        raise RuleViolation(
            f"{label} is already closed for {department}{who}; its scorecard is frozen. Open it to review the awards."
        )


def _save(award: Award) -> Award:
    try:
        award.full_clean()
    except ValidationError as error:
        if "__all__" in error.message_dict:  # the one-award-per-title constraint
            raise RuleViolation(
                f"{award.person} already has the award “{award.title}” for this period; choose another title.",
                field="title",
            ) from None
        name, messages = next(iter(error.message_dict.items()))
        raise RuleViolation(
            f"{award._meta.get_field(name).verbose_name.capitalize()}: {messages[0]}", field=name
        ) from None
    award.save()
    return award


@transaction.atomic
def confirm_award(*, award: Award, confirmed_by: User, title: str | None = None, note: str | None = None) -> Award:
    """Confirm a suggested award (it then shows to the person), changing its title or note if given."""
    _check_manages(confirmed_by, award.closed_period.department)
    if title is not None:
        award.title = title.strip()
    if note is not None:
        award.note = note.strip()
    first = not award.confirmed
    if first:  # the first confirmation is the decision on record; later edits keep it
        award.confirmed, award.confirmed_by, award.confirmed_at = True, confirmed_by, timezone.now()
    award = _save(award)
    if first:
        _announce(award)
    return award


def _announce(award: Award) -> None:
    """The "award.confirmed" webhook event: a confirmed award shows to the person, and now to subscribed tools."""
    closed = award.closed_period
    webhooks.emit(
        event=Event.AWARD_CONFIRMED,
        departments=[closed.department],
        payload={
            "award": {"id": award.pk, "title": award.title, "note": award.note, "suggested": award.suggested},
            "person": {"id": award.person.pk, "name": award.person.display_name},
            "department": {"id": closed.department.pk, "code": closed.department.code, "name": closed.department.name},
            "period": {"kind": closed.period, "start": closed.start, "end": closed.end, "label": str(closed)},
            "confirmed_by": award.confirmed_by.display_name if award.confirmed_by else None,
            "confirmed_at": award.confirmed_at,
        },
        summary=f"Award “{award.title}” for {award.person.display_name} ({closed}) confirmed.",
        url=reverse("metrics:closed_period", args=[closed.pk]),
        key=f"award.confirmed:{award.pk}",
    )


@transaction.atomic
def add_award(*, closed_period: ClosedPeriod, person: User, title: str, note: str = "", added_by: User) -> Award:
    """An award the manager gives by hand, confirmed at once; only to someone on the frozen scorecard."""
    _check_manages(added_by, closed_period.department)
    frozen = {r["id"]: r for r in closed_period.scorecard["rows"] if r["kind"] == "person"}
    if person.pk not in frozen:
        raise RuleViolation(
            f"{person} is not on the frozen scorecard of {closed_period}: awards go to people "
            "who were in the department when the period closed.",
            field="person",
        )
    award = Award(
        closed_period=closed_period,
        person=person,
        title=title.strip(),
        note=note.strip(),
        score=frozen[person.pk]["score"],
        suggested=False,
        confirmed=True,
        created_by=added_by,
        confirmed_by=added_by,
        confirmed_at=timezone.now(),
    )
    award = _save(award)
    _announce(award)
    return award


@transaction.atomic
def remove_award(*, award: Award, removed_by: User) -> None:
    """Remove a suggestion the manager does not want, or an award given by mistake."""
    _check_manages(removed_by, award.closed_period.department)
    award.delete()


# Reads


def awards_for(user: User):
    """The person's confirmed awards, newest period first (suggestions stay private until confirmed)."""
    return (
        Award.objects.filter(person=user, confirmed=True)
        .select_related("closed_period__department")
        .order_by("-closed_period__start", "title")
    )


def closed_periods_for(user: User):
    """Closed periods of the departments the user manages, newest first."""
    return (
        ClosedPeriod.objects.filter(department__in=access.managed_departments(user))
        .select_related("department", "closed_by")
        .order_by("-closed_at")
    )


def closed_period_for(user: User, pk) -> ClosedPeriod:
    """A closed period the user may manage; 404 otherwise, never its data."""
    return access.get_visible_or_404(closed_periods_for(user), "No such closed period.", pk=pk)
