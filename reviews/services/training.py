"""Refresher training: who is current, due or overdue on which definition, and inviting the due to a session.

The rule, for each person in a programme's departments (and below them) and each definition of the programme:
  - rolling window: due `every_months` after the person's last completion;
  - fixed window: deadlines fall on fixed_date + k × every_months; the last completion satisfies the deadline it
    is nearest to (on or before it, or just after a missed one), and the person is due on the deadline after;
  - with no completion yet: rolling, due at once from the programme's start; fixed, the first deadline after it;
  - due at once (whatever the window) after a failed comprehension check later than the last completion, or
    when the definition's latest major version first appeared after the last completion.
"Due at once" means due now with AT_ONCE_DAYS of grace before it counts as overdue. A person in several
programmes covering the same definition is held to the earliest due date.
State: current (due date more than DUE_SOON_DAYS away), due (within them), overdue (past).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from core import periods
from metrics.status import Look
from org.paths import paths_sql, subtree_sql
from reviews.models import Completion, Invitation, QuizAttempt, RefresherProgramme, ReviewSession

CURRENT, DUE, OVERDUE = "current", "due", "overdue"
STATES = (CURRENT, DUE, OVERDUE)
LOOKS = {
    CURRENT: Look("Current", "success", "●"),
    DUE: Look("Due", "warning", "▲"),
    OVERDUE: Look("Overdue", "danger", "▼"),
}
DUE_SOON_DAYS = 30
AT_ONCE_DAYS = 30


def add_months(day: date, months: int) -> date:
    """The same day `months` later; a month's last day stays the last (see periods.add_months)."""
    return periods.add_months(day, months)


def _first_deadline_index(first: date, every_months: int, day: date) -> int:
    """The smallest k >= 0 with first + k × every_months on or after day."""
    k = max(0, ((day.year - first.year) * 12 + day.month - first.month) // every_months - 1)
    while add_months(first, k * every_months) < day:
        k += 1
    return k


def next_fixed_deadline(first: date, every_months: int, after: date) -> date:
    """The first deadline first + k × every_months (k ≥ 0) that falls strictly after `after`."""
    return add_months(first, _first_deadline_index(first, every_months, after + timedelta(days=1)) * every_months)


def due_after_completion(first: date, every_months: int, completed: date) -> date:
    """A fixed window's next deadline after a completion on `completed`.

    A completion satisfies the deadline it is nearest to: one made on or before a deadline satisfies that deadline
    (completing on 10 Nov for 15 Nov makes the next 15 Nov due), one made a little after a missed deadline makes up
    for it (completing on 20 Nov for 15 Nov). Whoever completes in the same round is due on the same next deadline.
    """
    k = _first_deadline_index(first, every_months, completed)
    satisfied = k
    if k > 0:
        before, upcoming = add_months(first, (k - 1) * every_months), add_months(first, k * every_months)
        if (completed - before).days < (upcoming - completed).days:
            satisfied = k - 1
    return add_months(first, (satisfied + 1) * every_months)


def state_of(due_date: date, today: date) -> str:
    if due_date < today:
        return OVERDUE
    if due_date <= today + timedelta(days=DUE_SOON_DAYS):
        return DUE
    return CURRENT


@dataclass
class DueState:
    """One person's refresher status on one definition (plain data: pages, exports and tasks share it)."""

    person_id: int
    username: str
    person_name: str
    department_id: int
    department: str
    definition_id: int
    definition: str
    last_completed_at: datetime | None
    last_failed_at: datetime | None
    last_score: float | None
    due_date: date
    state: str
    reason: str

    @property
    def look(self) -> Look:
        return LOOKS[self.state]

    @property
    def is_due(self) -> bool:
        return self.state != CURRENT


def _moment(value) -> datetime | None:
    """A raw cursor on SQLite hands back naive UTC datetimes, and text for aggregates (their type is lost)."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(value)
    return parsed.replace(tzinfo=UTC) if timezone.is_naive(parsed) else parsed


def _day(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return parse_date(str(value)[:10])


# One statement whatever the number of people or programmes: the pairs (programme, person, definition) come
# from the programmes' department subtrees (materialized paths: a LIKE, no recursion); the last completion, the
# last failed check and the last score are correlated subqueries served by the indexes reviews_completion_latest
# and reviews_attempt_by_person; when each definition's latest major first appeared is one aggregate per
# definition. Raw SQL because the ORM has no way to cross people with definitions. Only the date arithmetic
# (months, calendar deadlines) is done in Python, on one row per pair, as SQLite and PostgreSQL differ there.
DUE_SQL = """
WITH pairs AS (
    SELECT DISTINCT p.id AS programme_id, u.id AS person_id, pd.qualitydefinition_id AS definition_id
    FROM reviews_refresherprogramme p
    JOIN reviews_refresherprogramme_departments pdep ON pdep.refresherprogramme_id = p.id
    JOIN org_department branch ON branch.id = pdep.department_id
    JOIN org_department d ON {subtree}
    JOIN org_user u ON u.department_id = d.id
    JOIN reviews_refresherprogramme_definitions pd ON pd.refresherprogramme_id = p.id
    JOIN goals_qualitydefinition qd ON qd.id = pd.qualitydefinition_id
    WHERE p.active = %s AND u.is_active = %s AND qd.retired_at IS NULL {filters}
),
majors AS (
    SELECT v.definition_id, MIN(v.published_at) AS major_at
    FROM goals_definitionversion v
    WHERE v.published_at IS NOT NULL AND v.major = (
        SELECT MAX(v2.major) FROM goals_definitionversion v2
        WHERE v2.definition_id = v.definition_id AND v2.published_at IS NOT NULL)
    GROUP BY v.definition_id
)
SELECT pairs.person_id, u.username, u.first_name, u.last_name, dept.id, dept.name,
       pairs.definition_id, qd.title,
       p.every_months, p."window", p.fixed_date, p.created_at, majors.major_at,
       (SELECT MAX(c.completed_at) FROM reviews_completion c
         WHERE c.person_id = pairs.person_id AND c.definition_id = pairs.definition_id) AS last_completed_at,
       (SELECT MAX(a.submitted_at) FROM reviews_quizattempt a JOIN reviews_quiz q ON q.id = a.quiz_id
         WHERE a.person_id = pairs.person_id AND q.definition_id = pairs.definition_id
           AND a.passed = %s) AS last_failed_at,
       (SELECT a.score FROM reviews_quizattempt a JOIN reviews_quiz q ON q.id = a.quiz_id
         WHERE a.person_id = pairs.person_id AND q.definition_id = pairs.definition_id
           AND a.submitted_at IS NOT NULL
         ORDER BY a.submitted_at DESC, a.id DESC LIMIT 1) AS last_score
FROM pairs
JOIN reviews_refresherprogramme p ON p.id = pairs.programme_id
JOIN org_user u ON u.id = pairs.person_id
JOIN org_department dept ON dept.id = u.department_id
JOIN goals_qualitydefinition qd ON qd.id = pairs.definition_id
LEFT JOIN majors ON majors.definition_id = pairs.definition_id
"""


def _programme_due(
    *,
    every_months: int,
    window: str,
    fixed_date: date | None,
    started: datetime,
    last: datetime | None,
    failed: datetime | None,
    major_at: datetime | None,
) -> tuple[date, str]:
    """One programme's due date for one pair, and the reason, in words."""
    at_once = timedelta(days=AT_ONCE_DAYS)
    if window == RefresherProgramme.Window.FIXED and fixed_date:
        if last:
            due = due_after_completion(fixed_date, every_months, periods.local_day(last))
        else:
            due = next_fixed_deadline(fixed_date, every_months, periods.local_day(started) - timedelta(days=1))
        reason = f"completed {periods.local_day(last):%-d %b %Y}" if last else "not completed yet"
    elif last:
        due = add_months(periods.local_day(last), every_months)
        reason = f"completed {periods.local_day(last):%-d %b %Y}"
    else:
        due, reason = periods.local_day(started) + at_once, "not completed yet"
    # An event since the last completion makes the person due at once; it is then the reason given, even when
    # the regular due date was sooner.
    if last and major_at and major_at > last:
        due = min(due, periods.local_day(major_at) + at_once)
        reason = f"new major version on {periods.local_day(major_at):%-d %b %Y}"
    if failed and (last is None or failed > last):
        due = min(due, periods.local_day(failed) + at_once)
        reason = f"failed the check on {periods.local_day(failed):%-d %b %Y}"
    return due, reason


def due_states(
    *,
    person_id: int | None = None,
    department_paths: Iterable[str] | None = None,
    definition_ids: Iterable[int] | None = None,
    today: date | None = None,
) -> list[DueState]:
    """Everyone's status on every definition a programme asks of them, in one query.

    Narrow with person_id (one person), department_paths (people in those subtrees: pass a manager's scope) and
    definition_ids. Sorted by department, person, definition.
    """
    filters, params = [], [True, True]
    if person_id is not None:
        filters.append("u.id = %s")
        params.append(person_id)
    if department_paths is not None:
        paths = list(department_paths)
        if not paths:
            return []
        condition, path_params = paths_sql("d", paths)
        filters.append(condition)
        params += path_params
    if definition_ids is not None:
        ids = [int(i) for i in definition_ids]
        if not ids:
            return []
        filters.append("pd.qualitydefinition_id IN (" + ", ".join(["%s"] * len(ids)) + ")")
        params += ids
    sql = DUE_SQL.format(subtree=subtree_sql("d", "branch"), filters="".join(f" AND {f}" for f in filters))
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, False])
        rows = cursor.fetchall()

    today = today or periods.today()
    states: dict[tuple[int, int], DueState] = {}
    for (
        person_id_,
        username,
        first,
        last_name,
        dept_id,
        dept_name,
        definition_id,
        title,
        every,
        window,
        fixed,
        started,
        major_at,
        last,
        failed,
        score,
    ) in rows:
        last, failed, major_at = _moment(last), _moment(failed), _moment(major_at)
        due, reason = _programme_due(
            every_months=every,
            window=window,
            fixed_date=_day(fixed),
            started=_moment(started),
            last=last,
            failed=failed,
            major_at=major_at,
        )
        key = (person_id_, definition_id)
        known = states.get(key)
        if known is not None and known.due_date <= due:
            continue
        states[key] = DueState(
            person_id=person_id_,
            username=username,
            person_name=f"{first} {last_name}".strip() or username,
            department_id=dept_id,
            department=dept_name,
            definition_id=definition_id,
            definition=title,
            last_completed_at=last,
            last_failed_at=failed,
            last_score=score,
            due_date=due,
            state=state_of(due, today),
            reason=reason,
        )
    return sorted(
        states.values(), key=lambda s: (s.department, s.person_name.lower(), s.person_id, s.definition.lower())
    )


def record_completion(
    *,
    person,
    definition,
    at: datetime | None = None,
    source: str = Completion.Source.ADMIN,
    score: float | None = None,
    attempt: QuizAttempt | None = None,
) -> Completion:
    """A person completed a refresher on a definition (a passed check, an attended session, an admin's word)."""
    return Completion.objects.create(
        person=person,
        definition=definition,
        completed_at=at or timezone.now(),
        source=source,
        score=score,
        attempt=attempt,
    )


def invite_due(*, now: datetime | None = None) -> int:
    """Invite every due or overdue person to the next upcoming, not cancelled session covering the definition.

    People already invited to an upcoming session on that definition are left alone, and the unique
    (session, person) row makes a second or concurrent run add nothing. Returns the number of new invitations.
    Sending them is the sessions' reminder task's job (sent_at IS NULL).
    """
    now = now or timezone.now()
    due = [s for s in due_states() if s.is_due]
    if not due:
        return 0
    upcoming = (
        ReviewSession.objects.filter(
            starts_at__gt=now, cancelled_at__isnull=True, definitions__in={s.definition_id for s in due}
        )
        .order_by("starts_at", "pk")
        .values_list("pk", "definitions")
    )
    next_session: dict[int, int] = {}
    sessions_of: dict[int, set[int]] = {}
    for session_id, definition_id in upcoming:
        next_session.setdefault(definition_id, session_id)
        sessions_of.setdefault(definition_id, set()).add(session_id)
    if not next_session:
        return 0
    all_upcoming = set().union(*sessions_of.values())
    invited = set(Invitation.objects.filter(session_id__in=all_upcoming).values_list("session_id", "person_id"))
    invited_to = {}
    for session_id, person_id in invited:
        invited_to.setdefault(person_id, set()).add(session_id)
    wanted = {}
    for state in due:
        session_id = next_session.get(state.definition_id)
        if session_id is None or invited_to.get(state.person_id, set()) & sessions_of[state.definition_id]:
            continue
        wanted[(session_id, state.person_id)] = Invitation(session_id=session_id, person_id=state.person_id)
    before = Invitation.objects.filter(session_id__in=all_upcoming).count()
    Invitation.objects.bulk_create(list(wanted.values()), ignore_conflicts=True, batch_size=1000)
    return Invitation.objects.filter(session_id__in=all_upcoming).count() - before
