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
ORDER BY pairs.programme_id
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


def _narrowing(
    person_id: int | None, department_paths: Iterable[str] | None, definition_ids: Iterable[int] | None
) -> tuple[str, list] | None:
    """The pairs' extra conditions and their parameters, or None when the narrowing leaves nobody."""
    filters, params = [], []
    if person_id is not None:
        filters.append("u.id = %s")
        params.append(person_id)
    if department_paths is not None:
        paths = list(department_paths)
        if not paths:
            return None
        condition, path_params = paths_sql("d", paths)
        filters.append(condition)
        params += path_params
    if definition_ids is not None:
        ids = [int(i) for i in definition_ids]
        if not ids:
            return None
        filters.append("pd.qualitydefinition_id IN (" + ", ".join(["%s"] * len(ids)) + ")")
        params += ids
    return "".join(f" AND {f}" for f in filters), params


def _person_name(first: str, last_name: str, username: str) -> str:
    return f"{first} {last_name}".strip() or username


def _sort_key(s: DueState):
    return s.department, s.person_name.lower(), s.person_id, s.definition.lower()


def _due_states_python(
    *,
    person_id: int | None = None,
    department_paths: Iterable[str] | None = None,
    definition_ids: Iterable[int] | None = None,
    today: date | None = None,
) -> list[DueState]:
    """The reference computation: one row per (programme, person, definition), dates worked out in Python.

    Used on databases without the set-based statement (SQLite), and by the tests as the rule's executable
    statement against which the SQL is checked."""
    narrowing = _narrowing(person_id, department_paths, definition_ids)
    if narrowing is None:
        return []
    filters, params = narrowing
    sql = DUE_SQL.format(subtree=subtree_sql("d", "branch"), filters=filters)
    with connection.cursor() as cursor:
        cursor.execute(sql, [True, True, *params, False])
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
            person_name=_person_name(first, last_name, username),
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
    return sorted(states.values(), key=_sort_key)


def _add_months_sql(day: str, months: str) -> str:
    """PostgreSQL: add_months() as an expression (a date plus whole months clamps to the month's end already;
    a month's last day stays the last)."""
    month = f"date_trunc('month', ({day})::timestamp)"
    return (
        f"(CASE WHEN ({day}) = ({month} + interval '1 month' - interval '1 day')::date"
        f" THEN ({month} + (({months}) + 1) * interval '1 month' - interval '1 day')::date"
        f" ELSE (({day})::timestamp + ({months}) * interval '1 month')::date END)"
    )


def _deadline_sql(k: str) -> str:
    """PostgreSQL: the fixed window's k-th deadline, fixed_date + k × every_months."""
    return _add_months_sql("b.first", f"({k}) * b.every")


# PostgreSQL: the whole rule in one set-based statement. The pairs as in DUE_SQL; each pair's last completion, last
# failed check and last score from one aggregate over the people's completions and one over their attempts (no
# correlated subquery per pair); the local days, every programme's due date (the fixed window's deadline index
# from the months between, then the nearest deadline as due_after_completion says), the reason and the state as
# expressions; the earliest due date per (person, definition) with DISTINCT ON (ties: the
# lowest programme id, as the reference computation keeps the first programme it meets).
DUE_SET_SQL = """
WITH pairs AS MATERIALIZED (
    SELECT DISTINCT p.id AS programme_id, u.id AS person_id, pd.qualitydefinition_id AS definition_id,
           p.every_months, p."window", p.fixed_date, p.created_at, u.username, u.first_name, u.last_name,
           d.id AS department_id, d.name AS department, qd.title AS definition
    FROM reviews_refresherprogramme p
    JOIN reviews_refresherprogramme_departments pdep ON pdep.refresherprogramme_id = p.id
    JOIN org_department branch ON branch.id = pdep.department_id
    JOIN org_department d ON {subtree}
    JOIN org_user u ON u.department_id = d.id
    JOIN reviews_refresherprogramme_definitions pd ON pd.refresherprogramme_id = p.id
    JOIN goals_qualitydefinition qd ON qd.id = pd.qualitydefinition_id
    WHERE p.active AND u.is_active AND qd.retired_at IS NULL {filters}
),
majors AS (
    SELECT v.definition_id, MIN(v.published_at) AS major_at
    FROM goals_definitionversion v
    WHERE v.published_at IS NOT NULL AND v.major = (
        SELECT MAX(v2.major) FROM goals_definitionversion v2
        WHERE v2.definition_id = v.definition_id AND v2.published_at IS NOT NULL)
    GROUP BY v.definition_id
),
completed AS (
    SELECT c.person_id, c.definition_id, MAX(c.completed_at) AS last_at
    FROM reviews_completion c
    WHERE c.person_id IN (SELECT person_id FROM pairs)
    GROUP BY c.person_id, c.definition_id
),
attempted AS (
    SELECT a.person_id, q.definition_id,
           MAX(CASE WHEN NOT a.passed THEN a.submitted_at END) AS failed_at,
           (ARRAY_AGG(a.score ORDER BY a.submitted_at DESC, a.id DESC))[1] AS score
    FROM reviews_quizattempt a JOIN reviews_quiz q ON q.id = a.quiz_id
    WHERE a.submitted_at IS NOT NULL AND a.person_id IN (SELECT person_id FROM pairs)
    GROUP BY a.person_id, q.definition_id
),
base AS (
    SELECT pairs.programme_id, pairs.person_id, pairs.definition_id, pairs.username, pairs.first_name,
           pairs.last_name, pairs.department_id, pairs.department, pairs.definition,
           pairs.every_months AS every, pairs."window" = 'fixed' AND pairs.fixed_date IS NOT NULL AS fixed,
           pairs.fixed_date AS first, (pairs.created_at AT TIME ZONE %s)::date AS started,
           completed.last_at, (completed.last_at AT TIME ZONE %s)::date AS last_day,
           attempted.failed_at, attempted.score,
           CASE WHEN completed.last_at IS NOT NULL AND majors.major_at > completed.last_at
                THEN (majors.major_at AT TIME ZONE %s)::date END AS major_day,
           CASE WHEN attempted.failed_at IS NOT NULL
                     AND (completed.last_at IS NULL OR attempted.failed_at > completed.last_at)
                THEN (attempted.failed_at AT TIME ZONE %s)::date END AS failed_day
    FROM pairs
    LEFT JOIN majors ON majors.definition_id = pairs.definition_id
    LEFT JOIN completed ON completed.person_id = pairs.person_id AND completed.definition_id = pairs.definition_id
    LEFT JOIN attempted ON attempted.person_id = pairs.person_id AND attempted.definition_id = pairs.definition_id
),
indexed AS MATERIALIZED (
    SELECT b.*, x.day, first_k.k0 FROM base b
    CROSS JOIN LATERAL (SELECT COALESCE(b.last_day, b.started) AS day) x
    CROSS JOIN LATERAL (SELECT GREATEST(0, (
        (EXTRACT(YEAR FROM x.day)::int - EXTRACT(YEAR FROM b.first)::int) * 12
        + EXTRACT(MONTH FROM x.day)::int - EXTRACT(MONTH FROM b.first)::int) / b.every - 1) AS k0) first_k
),
deadline AS MATERIALIZED (
    SELECT i.*, CASE WHEN NOT i.fixed THEN NULL
                     WHEN {deadline_k0} >= i.day THEN i.k0
                     WHEN {deadline_k1} >= i.day THEN i.k0 + 1
                     ELSE i.k0 + 2 END AS k
    FROM indexed i
),
programme_due AS MATERIALIZED (
    SELECT b.*, LEAST(
        CASE WHEN b.fixed AND b.last_day IS NOT NULL THEN
                  CASE WHEN b.k > 0 AND (b.day - {deadline_before}) < ({deadline_k} - b.day)
                       THEN {deadline_k} ELSE {deadline_after} END
             WHEN b.fixed THEN {deadline_k}
             WHEN b.last_day IS NOT NULL THEN {rolling}
             ELSE b.started + {at_once} END,
        b.major_day + {at_once}, b.failed_day + {at_once}) AS due
    FROM deadline b
),
earliest AS (
    SELECT DISTINCT ON (person_id, definition_id) *
    FROM programme_due
    ORDER BY person_id, definition_id, due, programme_id
),
states AS (
    SELECT e.person_id, e.username, e.first_name, e.last_name, e.department_id, e.department, e.definition_id,
           e.definition, e.last_at, e.failed_at, e.score, e.due,
           CASE WHEN e.due < %s THEN 'overdue' WHEN e.due <= %s THEN 'due' ELSE 'current' END AS state,
           CASE WHEN e.failed_day IS NOT NULL THEN 'failed' WHEN e.major_day IS NOT NULL THEN 'major'
                WHEN e.last_day IS NOT NULL THEN 'completed' ELSE 'none' END AS reason,
           COALESCE(e.failed_day, e.major_day, e.last_day) AS reason_day,
           COALESCE(NULLIF(BTRIM(e.first_name || ' ' || e.last_name, {blank}), ''), e.username) AS person_name
    FROM earliest e
)
"""
# The order of _sort_key: department, person's name case-folded, person, definition case-folded; compared by code
# point (COLLATE "C"), as Python compares strings.
SET_ORDER = 'department COLLATE "C", LOWER(person_name) COLLATE "C", person_id, LOWER(definition) COLLATE "C"'
SET_COLUMNS = (
    "person_id, username, person_name, department_id, department, definition_id, definition, last_at, failed_at,"
    " score, due, state, reason, reason_day"
)


def _set_statement(filters: str) -> str:
    k = "b.k"
    return DUE_SET_SQL.format(
        subtree=subtree_sql("d", "branch"),
        filters=filters,
        deadline_k0=_add_months_sql("i.first", "i.k0 * i.every"),
        deadline_k1=_add_months_sql("i.first", "(i.k0 + 1) * i.every"),
        deadline_before=_deadline_sql(f"{k} - 1"),
        deadline_k=_deadline_sql(k),
        deadline_after=_deadline_sql(f"{k} + 1"),
        rolling=_add_months_sql("b.last_day", "b.every"),
        at_once=AT_ONCE_DAYS,
        blank="' ' || CHR(9) || CHR(10) || CHR(11) || CHR(12) || CHR(13)",  # what str.strip() strips, in ASCII
    )


def _set_params(params: list, today: date) -> list:
    zone = periods.organization_zone().key
    return [*params, zone, zone, zone, zone, today, today + timedelta(days=DUE_SOON_DAYS)]


REASONS = {
    "failed": "failed the check on {:%-d %b %Y}",
    "major": "new major version on {:%-d %b %Y}",
    "completed": "completed {:%-d %b %Y}",
}


def _state_from_row(row) -> DueState:
    (person_id, username, person_name, dept_id, dept_name, definition_id, title, last, failed, score, due, state,
     reason, reason_day) = row  # fmt: skip
    return DueState(
        person_id=person_id,
        username=username,
        person_name=person_name,
        department_id=dept_id,
        department=dept_name,
        definition_id=definition_id,
        definition=title,
        last_completed_at=last,
        last_failed_at=failed,
        last_score=score,
        due_date=due,
        state=state,
        reason=REASONS[reason].format(reason_day) if reason in REASONS else "not completed yet",
    )


def set_based() -> bool:
    """True when the due states are computed by the database in one set-based statement (PostgreSQL)."""
    return connection.vendor == "postgresql"


def due_states(
    *,
    person_id: int | None = None,
    department_paths: Iterable[str] | None = None,
    definition_ids: Iterable[int] | None = None,
    today: date | None = None,
) -> list[DueState]:
    """Everyone's status on every definition a programme asks of them, in one query.

    Narrow with person_id (one person), department_paths (people in those subtrees: pass a manager's scope) and
    definition_ids. Sorted by department, person, definition. On PostgreSQL the database works out every date
    (DUE_SET_SQL); elsewhere Python does, on one row per (programme, person, definition).
    """
    if not set_based():
        return _due_states_python(
            person_id=person_id, department_paths=department_paths, definition_ids=definition_ids, today=today
        )
    narrowing = _narrowing(person_id, department_paths, definition_ids)
    if narrowing is None:
        return []
    filters, params = narrowing
    sql = f"{_set_statement(filters)} SELECT {SET_COLUMNS} FROM states ORDER BY {SET_ORDER}"  # noqa: S608 (constants)
    with connection.cursor() as cursor:
        cursor.execute(sql, _set_params(params, today or periods.today()))
        return [_state_from_row(row) for row in cursor.fetchall()]


@dataclass
class DuePage:
    """One page of due states and what the whole report needs: counts per state, the definitions present."""

    rows: list[DueState]
    counts: dict[str, int]  # state -> how many (before narrowing by state)
    definitions: dict[int, str]  # definition id -> title, of every row (before narrowing by state)
    total: int  # rows after narrowing by state
    offset: int  # of the first row on this page


def due_page(
    *,
    department_paths: Iterable[str] | None = None,
    definition_ids: Iterable[int] | None = None,
    state: str | None = None,
    page: int | None = 1,
    per_page: int = 50,
    today: date | None = None,
) -> DuePage:
    """One page of due_states() (narrowed by state), with the counts of the whole set: one statement.

    `page` counts from 1; None or a page past the last means the last page (as Paginator.get_page does). Only the
    page's rows are sent back on PostgreSQL; elsewhere every row is computed and the page cut in Python.
    """
    state = state if state in STATES else None
    today = today or periods.today()
    if not set_based():
        rows = _due_states_python(department_paths=department_paths, definition_ids=definition_ids, today=today)
        counts = {s: 0 for s in STATES}
        for row in rows:
            counts[row.state] += 1
        definitions = {row.definition_id: row.definition for row in rows}
        chosen = [row for row in rows if state is None or row.state == state]
        pages = max(1, -(-len(chosen) // per_page))
        number = pages if page is None or page > pages else page
        offset = (number - 1) * per_page
        return DuePage(chosen[offset : offset + per_page], counts, definitions, len(chosen), offset)
    narrowing = _narrowing(None, department_paths, definition_ids)
    if narrowing is None:
        return DuePage([], {s: 0 for s in STATES}, {}, 0, 0)
    filters, params = narrowing
    # The counts (per state and definition) come back as rows of their own, kind 0, after the page's rows.
    sql = f"""{_set_statement(filters)},
chosen AS (
    SELECT *, ROW_NUMBER() OVER (ORDER BY {SET_ORDER}) AS position, COUNT(*) OVER () AS total
    FROM states WHERE %s::text IS NULL OR state = %s::text
),
shown AS (
    SELECT * FROM chosen
    WHERE position > %s * (LEAST(COALESCE(%s, total), GREATEST(1, CEIL(total / %s::numeric))) - 1)
      AND position <= %s * LEAST(COALESCE(%s, total), GREATEST(1, CEIL(total / %s::numeric)))
)
SELECT 1 AS kind, {SET_COLUMNS}, position, total FROM shown
UNION ALL
SELECT 0, NULL, NULL, NULL, NULL, NULL, definition_id, definition, NULL, NULL, NULL, NULL, state, NULL, NULL,
       COUNT(*), NULL
FROM states GROUP BY definition_id, definition, state
ORDER BY kind DESC, position
"""  # noqa: S608 (constants and placeholders only)
    paging = [per_page, page, per_page]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*_set_params(params, today), state, state, *paging, *paging])
        found = cursor.fetchall()
    counts, definitions, rows, total, offset = {s: 0 for s in STATES}, {}, [], 0, 0
    for kind, *row, position, number in found:
        if kind:
            if not rows:
                total, offset = number, position - 1
            rows.append(_state_from_row(row))
        else:
            definitions[row[5]] = row[6]
            counts[row[11]] += position
    return DuePage(rows, counts, definitions, total, offset)


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
