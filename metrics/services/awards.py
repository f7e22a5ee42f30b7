"""Closing a period (freezing its scorecard) and the awards suggested from, or added to, the frozen figures.

Suggestions are computed from ClosedPeriod.scorecard, the JSON stored when the period closed, never from live
rollups: what a manager confirms is what everyone saw when the period was frozen.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from core import best_effort, dates, periods
from core.exceptions import RuleViolation
from metrics import signals
from metrics.models import Award, ClosedPeriod
from metrics.selectors.scorecards import build_scorecard
from metrics.services import rollups
from org import access
from org.models import Department, User
from outbox.services import queue_email
from webhooks import services as webhooks
from webhooks.events import Event

Rule = ClosedPeriod.Rule
MAX_TOP_N = 50


def rule_title(rule: str, top_n: int) -> str:
    """The title of the awards a rule suggests."""
    if rule == Rule.TOP_WEIGHTED:
        return f"Top {top_n} by weighted score"
    return "On target on every metric"


@dataclass(frozen=True)
class Ranking:
    """Who a rule suggests from a frozen scorecard, and the tie Keel leaves to the manager.

    winners: person rows suggested outright, best first (never more than top_n).
    tied: person rows that share the score of the last place when giving all of them an award would exceed
    top_n; Keel suggests none of them and the manager chooses up to places_left (empty when there is no tie).
    place: the place (1-based) the tied people share; 0 without a tie.
    """

    winners: list[dict]
    tied: list[dict] = field(default_factory=list)
    place: int = 0
    places_left: int = 0


def _score_key(row: dict) -> float:
    return round(row["score"], 9)  # equal scores stay equal whatever the float arithmetic that made them


def rank(*, scorecard: dict, rule: str, top_n: int) -> Ranking:
    """The stated tie rule: ALL_ON_TARGET suggests every person on track on every metric with a target that
    applies to them (no limit, so no tie). TOP_WEIGHTED ranks people by weighted score (people without a score,
    or who earned no points, are never ranked) and suggests at most top_n of them: when several people share
    the score of the last place and suggesting them all would exceed top_n, none of them is suggested and the
    tie is returned for the manager to choose from. Raises ValueError for an unknown rule.
    """
    rows = [r for r in scorecard["rows"] if r["kind"] == "person"]
    if rule == Rule.ALL_ON_TARGET:
        return Ranking(sorted((r for r in rows if r["on_target"]), key=lambda r: (-(r["score"] or 0), r["name"])))
    if rule != Rule.TOP_WEIGHTED:
        raise ValueError(f"unknown rule {rule!r}")
    ranked = sorted((r for r in rows if r["score"]), key=lambda r: (-_score_key(r), r["name"]))
    if len(ranked) <= top_n:
        return Ranking(ranked)
    cutoff = _score_key(ranked[top_n - 1])
    above = [r for r in ranked if _score_key(r) > cutoff]
    at = [r for r in ranked if _score_key(r) == cutoff]
    if len(above) + len(at) <= top_n:
        return Ranking(above + at)
    return Ranking(above, tied=at, place=len(above) + 1, places_left=top_n - len(above))


def suggestions(*, scorecard: dict, rule: str, top_n: int) -> list[dict]:
    """Frozen person rows Keel suggests outright under the rule, best first (rank()'s winners)."""
    return rank(scorecard=scorecard, rule=rule, top_n=top_n).winners


def _check_manages(user: User, department: Department) -> None:
    if not access.can_manage(user, department):
        raise RuleViolation(f"Only a manager of {department} or an admin may do this.")


def _closable_bucket(
    *, department: Department, period: str, start: date, rule: str, top_n: int, by: User
) -> tuple[date, date, str]:
    """(start, end, label) of the bucket to close; RuleViolation when it may not be closed (see close_period)."""
    _check_manages(by, department)
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
    return start, end, label


@dataclass(frozen=True)
class ClosePreview:
    """What closing would do, for the confirmation step: the departments frozen (the one closed first, then every
    department below it, by path), how many people's figures are frozen, and what the rule would suggest."""

    label: str
    start: date
    end: date
    departments: list[Department]
    people: int
    ranking: Ranking


def preview_close(
    *, department: Department, period: str, start: date, rule: str, top_n: int, closed_by: User
) -> ClosePreview:
    """What close_period with the same arguments would freeze and suggest now; writes nothing but rollups.

    Raises RuleViolation as close_period does, so a period that cannot be closed is refused before anyone is asked.
    """
    start, end, label = _closable_bucket(
        department=department, period=period, start=start, rule=rule, top_n=top_n, by=closed_by
    )
    rollups.run()
    live = build_scorecard(department=department, period=period, start=start).to_json()
    return ClosePreview(
        label=label,
        start=start,
        end=end,
        departments=list(Department.objects.subtree_of(department).order_by("path").only("id", "name", "path")),
        people=sum(1 for r in live["rows"] if r["kind"] == "person"),
        ranking=rank(scorecard=live, rule=rule, top_n=top_n),
    )


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
    start, end, label = _closable_bucket(
        department=department, period=period, start=start, rule=rule, top_n=top_n, by=closed_by
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
        ClosedPeriod.objects.in_force()
        .filter(department=department, period=period, start=start)
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


def _check_in_force(closed_period: ClosedPeriod) -> None:
    if closed_period.is_reopened:
        raise RuleViolation(
            f"{closed_period} was reopened on {periods.local_day(closed_period.reopened_at):%d %b %Y}; its awards "
            "are withdrawn. Close the period again to decide awards from its new figures."
        )


def _check_not_withdrawn(award: Award) -> None:
    if award.is_withdrawn:
        raise RuleViolation(f"The award “{award.title}” for {award.person} was withdrawn; it can no longer change.")


@transaction.atomic
def confirm_award(*, award: Award, confirmed_by: User, title: str | None = None, note: str | None = None) -> Award:
    """Confirm a suggested award (it then shows to the person, who is e-mailed once the confirmation commits),
    changing its title or note if given. Raises RuleViolation for a withdrawn award or a reopened period."""
    _check_manages(confirmed_by, award.closed_period.department)
    _check_in_force(award.closed_period)
    _check_not_withdrawn(award)
    if title is not None:
        award.title = title.strip()
    if note is not None:
        award.note = note.strip()
    first = not award.confirmed
    if first:  # the first confirmation is the decision on record; later edits keep it
        award.confirmed, award.confirmed_by, award.confirmed_at = True, confirmed_by, timezone.now()
    saved = _save(award)
    if first:
        _announce(saved)
    _tell_winners_on_commit([saved.pk])
    return saved


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


def unconfirmed(closed_period: ClosedPeriod):
    """The suggestions of a period still waiting for a manager's decision (not confirmed, not withdrawn)."""
    return closed_period.awards.filter(confirmed=False, withdrawn_at__isnull=True)


@transaction.atomic
def confirm_all(*, closed_period: ClosedPeriod, confirmed_by: User, expected: int | None = None) -> int:
    """Confirm every suggestion of the period at once, as they are; returns how many this call confirmed.

    expected: how many suggestions the manager was shown on the confirmation step; when it differs (someone
    else confirmed or removed one meanwhile) RuleViolation is raised and nothing changes, so nobody confirms
    more than they saw. Each winner is e-mailed once the confirmation commits.
    """
    _check_manages(confirmed_by, closed_period.department)
    _check_in_force(closed_period)
    ids = list(unconfirmed(closed_period).select_for_update().values_list("pk", flat=True))
    if expected is not None and len(ids) != expected:
        raise RuleViolation(
            f"The awards changed since you looked: {len(ids)} suggestion{'' if len(ids) == 1 else 's'} "
            "now wait for confirmation. Check them and confirm again."
        )
    confirmed = Award.objects.filter(pk__in=ids, confirmed=False, withdrawn_at__isnull=True).update(
        confirmed=True, confirmed_by=confirmed_by, confirmed_at=timezone.now()
    )
    for award in Award.objects.filter(pk__in=ids, confirmed_by=confirmed_by).select_related(
        "person", "confirmed_by", "closed_period__department"
    ):
        _announce(award)
    _tell_winners_on_commit(ids)
    return confirmed


def tie_of(closed_period: ClosedPeriod) -> Ranking:
    """The rule's ranking of a closed period, with places_left lowered by the suggestions already made (those
    chosen from the tie included); places_left 0 means the tie is settled."""
    ranking = rank(scorecard=closed_period.scorecard, rule=closed_period.rule, top_n=closed_period.top_n)
    if not ranking.tied:
        return ranking
    taken = closed_period.awards.filter(suggested=True, withdrawn_at__isnull=True).count()
    return Ranking(ranking.winners, ranking.tied, ranking.place, max(0, closed_period.top_n - taken))


@transaction.atomic
def choose_from_tie(*, closed_period: ClosedPeriod, people: list[int], chosen_by: User) -> list[Award]:
    """Suggest the rule's award to people the manager chose among those tied for the last place.

    people: user ids, each one of the tied, at most the places left. Raises RuleViolation otherwise.
    """
    _check_manages(chosen_by, closed_period.department)
    _check_in_force(closed_period)
    # Locks the period so that two managers choosing at once cannot both fill the last place.
    ClosedPeriod.objects.select_for_update().filter(pk=closed_period.pk).first()
    ranking = tie_of(closed_period)
    tied = {r["id"]: r for r in ranking.tied}
    chosen = list(dict.fromkeys(people))
    if not chosen:
        raise RuleViolation("Choose at least one of the people who tie.", field="people")
    if any(pk not in tied for pk in chosen):
        raise RuleViolation("Choose only among the people who tie.", field="people")
    if len(chosen) > ranking.places_left:
        left = ranking.places_left
        raise RuleViolation(
            f"Only {left} place{'' if left == 1 else 's'} left under "
            f"“{rule_title(closed_period.rule, closed_period.top_n)}”: you chose {len(chosen)}. To recognize more "
            "people, give them an award by hand.",
            field="people",
        )
    title = rule_title(closed_period.rule, closed_period.top_n)
    return [
        _save(
            Award(
                closed_period=closed_period,
                person_id=pk,
                title=title,
                score=tied[pk]["score"],
                suggested=True,
                created_by=chosen_by,
            )
        )
        for pk in chosen
    ]


@transaction.atomic
def add_award(*, closed_period: ClosedPeriod, person: User, title: str, note: str = "", added_by: User) -> Award:
    """An award the manager gives by hand, confirmed at once (the person is e-mailed after commit); only to
    someone on the frozen scorecard of a period still closed."""
    _check_manages(added_by, closed_period.department)
    _check_in_force(closed_period)
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
    saved = _save(award)
    _announce(saved)
    _tell_winners_on_commit([saved.pk])
    return saved


@transaction.atomic
def remove_award(*, award: Award, removed_by: User) -> None:
    """Remove a suggestion the manager does not want, or an award given by mistake (withdrawn awards stay)."""
    _check_manages(removed_by, award.closed_period.department)
    _check_not_withdrawn(award)
    award.delete()


# Reopening


@dataclass(frozen=True)
class Reopened:
    closed_period: ClosedPeriod
    withdrawn: int  # awards withdrawn, confirmed or suggested
    withdrawn_confirmed: int  # of which the people had been shown (confirmed ones)


@transaction.atomic
def reopen_period(
    *, closed_period: ClosedPeriod, reason: str, reopened_by: User, now: datetime | None = None
) -> Reopened:
    """Unfreeze a closed period (admins only): readings in it are accepted again and it may be closed again.

    The closing stays on record as the period's history with who reopened it, when and why; every award from it
    is withdrawn (kept, with a note giving the reason), never deleted. After commit, metrics.signals
    .period_reopened is sent (caches of the frozen scorecard drop it there).
    Raises RuleViolation when reopened_by is not an admin, the reason is blank, or it was reopened already.
    """
    if not access.is_admin(reopened_by):
        raise RuleViolation("Only an admin may reopen a closed period.")
    reason = reason.strip()
    if not reason:
        raise RuleViolation("Say why the period is reopened: it is kept in the period's history.", field="reason")
    now = now or timezone.now()
    claimed = ClosedPeriod.objects.filter(pk=closed_period.pk, reopened_at__isnull=True).update(
        reopened_at=now, reopened_by=reopened_by, reopen_reason=reason
    )
    if not claimed:
        closed_period.refresh_from_db()
        who = f" by {closed_period.reopened_by}" if closed_period.reopened_by else ""
        raise RuleViolation(f"{closed_period} was reopened already{who}.")
    closed_period.refresh_from_db()
    live = closed_period.awards.filter(withdrawn_at__isnull=True)
    confirmed = live.filter(confirmed=True).count()
    note = (
        f"Withdrawn: {closed_period} was reopened on {periods.local_day(now):%d %b %Y} by {reopened_by}. Why: {reason}"
    )
    withdrawn = live.update(withdrawn_at=now, withdrawn_by=reopened_by, withdrawal_note=note)
    transaction.on_commit(lambda: signals.period_reopened.send_robust(sender=ClosedPeriod, closed_period=closed_period))
    return Reopened(closed_period=closed_period, withdrawn=withdrawn, withdrawn_confirmed=confirmed)


def history_of(closed_period: ClosedPeriod):
    """Every closing of the same department and bucket, oldest first: closings, and reopenings with reasons."""
    return (
        ClosedPeriod.objects.filter(
            department_id=closed_period.department_id, period=closed_period.period, start=closed_period.start
        )
        .select_related("closed_by", "reopened_by")
        .order_by("closed_at", "pk")
    )


# Telling winners


def _tell_winners_on_commit(award_ids: list[int]) -> None:
    from metrics.tasks import tell_award_winners

    if award_ids:
        best_effort.enqueue_on_commit(tell_award_winners, award_ids)


def tell_winners(*, award_ids: list[int] | None = None, now: datetime | None = None, limit: int = 500) -> int:
    """E-mail each confirmed, not withdrawn award's person once; returns how many e-mails were queued.

    award_ids: only these (None: every award not told yet, which beat uses to catch up lost nudges). Each award is
    claimed by a conditional UPDATE of notified_at in the transaction that queues its e-mail, so a second run,
    or two at once, queue nothing more. People without an address (or who left) are marked told: nothing to send.
    """
    now = now or timezone.now()
    pending = Award.objects.filter(confirmed=True, withdrawn_at__isnull=True, notified_at__isnull=True)
    if award_ids is not None:
        pending = pending.filter(pk__in=award_ids)
    queued = 0
    for award in pending.select_related("person", "closed_period__department").order_by("pk")[:limit]:
        with transaction.atomic():
            claimed = Award.objects.filter(
                pk=award.pk, confirmed=True, withdrawn_at__isnull=True, notified_at__isnull=True
            ).update(notified_at=now)
            if not claimed or not award.person.email or not award.person.is_active:
                continue
            context = {
                "award": award,
                "person": award.person,
                "period": award.closed_period,
                "url": settings.KEEL_SITE_URL + reverse("metrics:index"),
            }
            queue_email(
                to=award.person.email,
                subject=gettext("You received an award: %(title)s") % {"title": award.title},
                body=render_to_string("emails/award_given.txt", context),
                html_body=render_to_string("emails/award_given.html", context),
                dedup_key=f"award-given:{award.pk}",
            )
            queued += 1
    return queued


# Reads


def awards_for(user: User):
    """The person's confirmed awards, newest period first (suggestions stay private until confirmed); withdrawn
    ones are included, each with its withdrawal_note. Their closed period comes without its frozen scorecard
    (hundreds of kilobytes on a large organization, read on every My metrics page, shown by none of them)."""
    return (
        Award.objects.filter(person=user, confirmed=True)
        .select_related("closed_period__department")
        .defer("closed_period__scorecard")
        .order_by("-closed_period__start", "title")
    )


def closed_periods_for(user: User):
    """Closed periods of the departments the user manages (reopened ones too), newest first."""
    return (
        ClosedPeriod.objects.filter(department__in=access.managed_departments(user))
        .select_related("department", "closed_by", "reopened_by")
        .order_by("-closed_at")
    )


def closed_period_for(user: User, pk) -> ClosedPeriod:
    """A closed period the user may manage; 404 otherwise, never its data."""
    return access.get_visible_or_404(closed_periods_for(user), "No such closed period.", pk=pk)
