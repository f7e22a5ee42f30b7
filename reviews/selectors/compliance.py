"""The compliance report: who is current, due or overdue on which definition, and the most often missed questions."""

import csv
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from core import best_effort, periods, stamps
from core.spreadsheets import csv_cell, workbook_bytes, xlsx_row
from org import access
from org.models import PEOPLE_AS_SHOWN, Department
from reviews.models import Question
from reviews.services import training

WEAK_QUESTIONS_PER_DEFINITION = 3

# The report page's figures are cached (Redis in production) under the data stamp of everything they are derived
# from (core.stamps): a completion, a check taken, a programme, a definition or its versions, a question, a person
# joining, leaving, moving or renamed, a department renamed or moved gives the topic a new version, so the next
# page computes afresh. The day (states turn due and overdue with it), the time zone, the scope, the narrowing
# and the page are in the key too. CACHE_SECONDS only bounds how long an unused entry takes room.
STAMP = "compliance"
CACHE_SECONDS = 60 * 60
CACHE_FORMAT = 2  # move on when what is cached changes shape
WATCHED = (
    "reviews_completion",
    "reviews_quizattempt",
    "reviews_answer",
    "reviews_question",
    "reviews_quiz",
    "reviews_refresherprogramme",
    "reviews_refresherprogramme_departments",
    "reviews_refresherprogramme_definitions",
    "goals_qualitydefinition",
    "goals_definitionversion",
    "org_department",
    PEOPLE_AS_SHOWN,
)


def watch_sources() -> None:
    """Declare what the report is derived from (called by ReviewsConfig.ready)."""
    stamps.watch_all(STAMP, WATCHED)


EXPORT_HEADER = [
    "Person",
    "Username",
    "Department",
    "Definition",
    "Status",
    "Due date",
    "Last completion",
    "Last score (%)",
    "Why",
]


def scope_paths(user, department: Department | None = None) -> list[str]:
    """The department paths whose people the user may see in the report: all for admins, managed subtrees for
    managers, narrowed to one department (already checked with access.department_for) when one is chosen."""
    if department is not None:
        return [department.path]
    if access.is_admin(user):
        return ["/"]  # every path starts with the separator: the whole organization
    return access.managed_paths(user)


@dataclass
class WeakQuestion:
    definition_id: int
    text: str
    missed: int
    answered: int

    @property
    def missed_percent(self) -> int:
        return round(100 * self.missed / self.answered) if self.answered else 0


@dataclass
class Report:
    rows: list[training.DueState]
    counts: dict[str, int]
    weak: dict[int, list[WeakQuestion]]  # definition id -> most often missed first
    definitions: dict[int, str]

    total: int | None = None  # rows of the whole report, when `rows` holds only one page of them

    def __post_init__(self):
        if self.total is None:
            self.total = len(self.rows)

    @property
    def totals(self) -> list[tuple[str, object, int]]:
        """(state, look, count) for each state, current first."""
        return [(state, training.LOOKS[state], self.counts[state]) for state in training.STATES]

    def weak_by_definition(self) -> list[tuple[str, list[WeakQuestion]]]:
        return [
            (self.definitions.get(d, ""), qs)
            for d, qs in sorted(self.weak.items(), key=lambda item: self.definitions.get(item[0], "").lower())
        ]


def weak_questions(*, paths: list[str], definition_ids) -> dict[int, list[WeakQuestion]]:
    """Per definition, the questions most often answered wrong by people in the scope: one query."""
    definition_ids = list(definition_ids)
    if not paths or not definition_ids:
        return {}
    people = Q(answers__attempt__person__department__in=Department.objects.subtrees(paths))
    questions = (
        Question.objects.filter(quiz__definition_id__in=definition_ids)
        .annotate(
            missed=Count("answers", filter=people & Q(answers__correct=False)), answered=Count("answers", filter=people)
        )
        .filter(missed__gt=0)
        .order_by("-missed", "position", "pk")
        .values_list("quiz__definition_id", "text", "missed", "answered")
    )
    weak: dict[int, list[WeakQuestion]] = {}
    for definition_id, text, missed, answered in questions:
        listed = weak.setdefault(definition_id, [])
        if len(listed) < WEAK_QUESTIONS_PER_DEFINITION:
            listed.append(WeakQuestion(definition_id, text, missed, answered))
    return weak


def build_report(
    *, user, department: Department | None = None, definition_id: int | None = None, state: str | None = None
) -> Report:
    """The report for the user's scope, narrowed by department, definition and state. Two queries (plus one for
    the managed departments, cached on the user): the due states and the weak questions."""
    paths = scope_paths(user, department)
    rows = training.due_states(department_paths=paths, definition_ids=[definition_id] if definition_id else None)
    counts = {s: 0 for s in training.STATES}
    for row in rows:
        counts[row.state] += 1
    definitions = {row.definition_id: row.definition for row in rows}
    if state in training.STATES:
        rows = [row for row in rows if row.state == state]
    return Report(
        rows=rows, counts=counts, weak=weak_questions(paths=paths, definition_ids=definitions), definitions=definitions
    )


@dataclass
class ReportPage:
    """What the report page shows: the totals of the whole report, one page of its rows, the weak questions."""

    report: Report  # rows: this page's only; counts and definitions: the whole report's
    page: Page
    rows_html: str = ""  # the page's rows as the report's table shows them (rendered once, cached with them)


class _Counted:
    """A sequence of `length` rows of which only one page is known: what Paginator needs to number the pages."""

    def __init__(self, length: int, offset: int, rows: list):
        self.length, self.offset, self.rows = length, offset, rows

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, cut: slice) -> list:
        assert cut.start == self.offset, "the page asked is the one fetched"
        return self.rows


def _page_number(raw) -> int | None:
    """Paginator.get_page's reading of ?page=: not a whole number (int() refuses it): 1; below 1: the last page
    (None)."""
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return 1
    return None if number < 1 else number


def build_report_page(
    *,
    user,
    department: Department | None = None,
    definition_id: int | None = None,
    state: str | None = None,
    page=None,
    per_page: int = 50,
    today=None,
) -> ReportPage:
    """One page of the report (`page` as ?page= gave it, Paginator's rules) with the whole report's totals and
    weak questions. Queries: the data stamp, then from the cache nothing more; otherwise two, and on PostgreSQL
    only the page's rows leave the database. `today` (the organization's, by default) decides due and overdue."""
    paths = scope_paths(user, department)
    today = today or periods.today()
    number = _page_number(page)
    key = _cache_key(paths=paths, definition_id=definition_id, state=state, page=number, per_page=per_page, today=today)
    cached = best_effort.cache_get(key) if key else None
    if cached is None:
        found = training.due_page(
            department_paths=paths,
            definition_ids=[definition_id] if definition_id else None,
            state=state,
            page=number,
            per_page=per_page,
            today=today,
        )
        rows_html = render_to_string("reviews/_compliance_rows.html", {"page": found.rows})
        cached = (found, weak_questions(paths=paths, definition_ids=found.definitions), rows_html)
        if key:
            best_effort.cache_set(key, cached, CACHE_SECONDS)
    found, weak, rows_html = cached
    report = Report(rows=found.rows, counts=found.counts, weak=weak, definitions=found.definitions, total=found.total)
    shown = Paginator(_Counted(found.total, found.offset, found.rows), per_page).get_page(page)
    return ReportPage(report=report, page=shown, rows_html=mark_safe(rows_html))


def _cache_key(*, paths, definition_id, state, page, per_page, today) -> str | None:
    """Where a report page is cached; None (cache nothing) when the data stamp cannot be read."""
    version = stamps.version(STAMP)
    if version is None:
        return None
    parts = (sorted(paths), definition_id, state, page, per_page, today.isoformat(), settings.TIME_ZONE)
    digest = hashlib.sha256(repr((parts, translation.get_language())).encode()).hexdigest()[:32]
    return f"keel:compliance:{CACHE_FORMAT}:{version}:{digest}"


# Exports: the same rows as the page (all of them, not one page), statuses in words.


def export_rows(report: Report) -> list[list]:
    table = [EXPORT_HEADER]
    for row in report.rows:
        table.append(
            [
                row.person_name,
                row.username,
                row.department,
                row.definition,
                row.look.label,
                row.due_date,
                row.last_completed_at.date() if row.last_completed_at else None,
                None if row.last_score is None else round(row.last_score, 1),
                row.reason,
            ]
        )
    return table


def write_csv(out, report: Report) -> None:
    writer = csv.writer(out)
    for line in export_rows(report):
        writer.writerow([csv_cell(v) for v in line])


FILLS = {training.CURRENT: "D1E7DD", training.DUE: "FFF3CD", training.OVERDUE: "F8D7DA"}


def xlsx_bytes(report: Report) -> bytes:
    """One sheet of people and statuses (status colours as fills and in words), one of weak questions."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = "Compliance"
    for line in export_rows(report):
        sheet.append(xlsx_row(line))
    for offset, row in enumerate(report.rows, start=2):
        sheet.cell(row=offset, column=5).fill = PatternFill("solid", fgColor=FILLS[row.state])
    for letter, width in zip("ABCDEFGHI", (24, 16, 22, 24, 10, 12, 14, 12, 34), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    weak = book.create_sheet("Weak questions")
    weak.append(["Definition", "Question", "Missed", "Answered", "Missed (%)"])
    for title, questions in report.weak_by_definition():
        for q in questions:
            weak.append(xlsx_row([title, q.text, q.missed, q.answered, q.missed_percent]))
    for ws in (sheet, weak):
        for cell_ in ws[1]:
            cell_.font = Font(bold=True)
    return workbook_bytes(book)
