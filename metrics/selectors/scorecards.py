"""The scorecard matrix: one department's figures for one period, per person or per sub-department, from rollups.

What applies to whom (kept deliberately simple):
  - Columns are the active metrics on the department's line: per-person metrics of the department and of every
    department above it, and every metric (per-person or department) of the department and those below it.
    A department metric of a department above does not apply: its readings belong to that department alone.
  - A person row has a figure for a per-person metric when the person sits in the metric's department or below
    it; every other cell of the row "does not apply".
  - A sub-department row (a direct child of the department) has its subtree's figure (Rollup owner type "d") for
    the metrics on its line: those of departments above it (per-person ones) and those inside its subtree.
  - The total row is the department's own subtree figure for every column.
  - People are the active members of the department and those below it at the time the matrix is built; a
    person's figure is every reading of theirs in the period (person rollups), wherever they sat then.
Status compares the figure with the metric's target in force on the first day of the period.

The weighted score of a row (see SCORING): each applicable metric with a target counts with its weight: on track
1 point, at risk ½, off track or without readings 0; the score is the points earned over the points possible.

A Scorecard is plain data, so the very same structure is frozen as JSON when a period closes
(`to_json` / `from_json`) and rendered, sorted and exported alike whether it is live or frozen.
"""

import logging
import time
from dataclasses import asdict, dataclass
from datetime import date

from django.core.cache import cache
from django.db.models import Q

from core import best_effort, periods, stamps
from core.spreadsheets import Styled, csv_lines, xlsx_table
from metrics import status as status_rules
from metrics.models import ClosedPeriod, Metric, Rollup
from metrics.selectors.figures import figure_values, format_value, with_targets
from org.models import PEOPLE_AS_SHOWN, Department, User
from org.paths import path_within

PEOPLE, DEPARTMENTS = "people", "departments"
ROW_KINDS = [(PEOPLE, "People"), (DEPARTMENTS, "Sub-departments")]
PERSON, DEPARTMENT, TOTAL = "person", "department", "total"

NOT_APPLICABLE = "not_applicable"
NOT_APPLICABLE_LOOK = status_rules.Look("Does not apply", "light", "n/a")
POINTS = {status_rules.ON_TRACK: 1.0, status_rules.AT_RISK: 0.5, status_rules.OFF_TRACK: 0.0, status_rules.NO_DATA: 0.0}
SCORING = (
    "Score: each metric with a target counts with its weight — on track 1 point, at risk ½, off track or "
    "without readings 0 — and the score is the points earned out of those possible. Metrics without a "
    "target, and metrics that do not apply to a row, are left out. Status compares each figure with the "
    "target in force on the first day of the period."
)
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Column:
    """One metric of the matrix, with what is needed to show and score it (no model: it must freeze as JSON)."""

    metric_id: int
    name: str
    code: str
    unit: str
    department: str
    weight: float
    higher_is_better: bool
    per_person: bool
    target: float | None
    target_display: str
    decimals: int | None = None  # the metric's declared precision (None in scorecards frozen before it was kept)

    @property
    def key(self) -> str:
        return f"m{self.metric_id}"

    @property
    def has_target(self) -> bool:
        return self.target is not None

    @property
    def heading(self) -> str:
        return f"{self.name} ({self.unit})" if self.unit else self.name

    @property
    def target_label(self) -> str:
        if self.target is None:
            return "No target"
        return f"Target {'≥' if self.higher_is_better else '≤'} {self.target_display}"


@dataclass(frozen=True)
class Figure:
    """One cell: the value, as shown, and its status (or NOT_APPLICABLE)."""

    value: float | None
    display: str
    state: str

    @property
    def applies(self) -> bool:
        return self.state != NOT_APPLICABLE

    @property
    def look(self) -> status_rules.Look:
        return status_rules.look(self.state) if self.applies else NOT_APPLICABLE_LOOK


@dataclass
class Row:
    kind: str  # PERSON, DEPARTMENT or TOTAL
    id: int  # the person's or the department's id
    name: str
    department: str
    figures: list[Figure]
    score: float | None  # 0..1
    on_target: bool  # on track on every applicable metric with a target, and there is at least one

    @property
    def score_display(self) -> str:
        return "–" if self.score is None else f"{self.score * 100:.0f}%"


@dataclass
class Scorecard:
    department_id: int
    department: str
    period: str
    start: date
    end: date
    columns: list[Column]
    people: list[Row]
    departments: list[Row]
    total: Row

    @property
    def label(self) -> str:
        return periods.label(self.start, self.period)

    def rows(self, kind: str) -> list[Row]:
        return self.departments if kind == DEPARTMENTS else self.people

    def to_json(self) -> dict:
        def row(r: Row) -> dict:
            return {
                "kind": r.kind,
                "id": r.id,
                "name": r.name,
                "department": r.department,
                "score": r.score,
                "on_target": r.on_target,
                "cells": [asdict(f) for f in r.figures],
            }

        return {
            "version": FORMAT_VERSION,
            "department": {"id": self.department_id, "name": self.department},
            "period": self.period,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "metrics": [asdict(c) for c in self.columns],
            "rows": [row(r) for r in self.people],
            "departments": [row(r) for r in self.departments],
            "total": row(self.total),
        }

    @classmethod
    def from_json(cls, data: dict) -> "Scorecard":
        def row(r: dict) -> Row:
            return Row(
                kind=r["kind"],
                id=r["id"],
                name=r["name"],
                department=r["department"],
                score=r["score"],
                on_target=r["on_target"],
                figures=[Figure(**f) for f in r["cells"]],
            )

        return cls(
            department_id=data["department"]["id"],
            department=data["department"]["name"],
            period=data["period"],
            start=date.fromisoformat(data["start"]),
            end=date.fromisoformat(data["end"]),
            columns=[Column(**c) for c in data["metrics"]],
            people=[row(r) for r in data["rows"]],
            departments=[row(r) for r in data["departments"]],
            total=row(data["total"]),
        )


def weighted_score(columns: list[Column], cells: list[Figure]) -> float | None:
    """Points earned over points possible (see SCORING); None when no applicable metric has a target and weight."""
    earned = possible = 0.0
    for column, figure in zip(columns, cells, strict=True):
        if figure.applies and column.has_target and column.weight > 0:
            earned += column.weight * POINTS.get(figure.state, 0.0)
            possible += column.weight
    return round(earned / possible, 6) if possible else None


def on_target_everywhere(columns: list[Column], cells: list[Figure]) -> bool:
    judged = [f for c, f in zip(columns, cells, strict=True) if f.applies and c.has_target]
    return bool(judged) and all(f.state == status_rules.ON_TRACK for f in judged)


def line_metrics(department: Department):
    """Active metrics that apply somewhere in the department's subtree (see the module docstring), with targets."""
    on_line = Q(department_id__in=department.ancestor_ids, owner_kind=Metric.Owner.PERSON) | Q(
        department__in=Department.objects.subtree_of(department)
    )
    return with_targets(Metric.objects.active().filter(on_line)).order_by(
        "department__depth", "department__name", "name"
    )


def _person_applies(metric: Metric, person_path: str) -> bool:
    return metric.per_person and path_within(person_path, metric.department.path)


def _subtree_applies(metric: Metric, department: Department) -> bool:
    return metric.department.is_below(department) or (metric.per_person and department.is_below(metric.department))


def build_scorecard(*, department: Department, period: str, start: date) -> Scorecard:
    """The live matrix of a department for the bucket containing `start`, from rollups only.

    Five queries whatever the size: metrics, their targets, the people below the department, its direct
    sub-departments, and every rollup needed (people, sub-departments and the department itself) at once.
    The organization's matrix has some 5,000 rows of a dozen cells, so the work per cell is kept to a lookup:
    people and rollups are read as tuples, not models; what applies is worked out once per department (it
    depends on where a person sits, not on who they are); and every empty or not-applicable cell of a column
    is one shared Figure (they are frozen, so sharing them is safe).
    """
    start = periods.bucket_start(start, period)
    metrics = list(line_metrics(department))
    people = list(
        User.objects.filter(is_active=True, department__in=Department.objects.subtree_of(department))
        .order_by("last_name", "first_name", "username")
        .values_list("pk", "first_name", "last_name", "username", "department__name", "department__path")
    )
    children = list(Department.objects.filter(parent=department).order_by("name"))
    owners = (
        [(Rollup.PERSON, p[0]) for p in people]
        + [(Rollup.DEPARTMENT, c.pk) for c in children]
        + [(Rollup.DEPARTMENT, department.pk)]
    )
    values = figure_values(metrics=metrics, owners=owners, period=period, start=start)
    columns = [_column(m, start) for m in metrics]
    judges = [_Judge(m, start) for m in metrics]
    missing = [judge.figure(None) for judge in judges]
    scored: dict[tuple[str, ...], tuple[float | None, bool]] = {}  # a row's states -> its score and on-target

    def row(kind: str, owner_type: str, owner_id: int, name: str, where: str, applies: list[bool]) -> Row:
        cells = [
            (
                missing[index]
                if (value := values.get((metric.pk, owner_type, owner_id))) is None
                else judges[index].figure(value)
            )
            if applies[index]
            else NOT_APPLICABLE_FIGURE
            for index, metric in enumerate(metrics)
        ]
        states = tuple(f.state for f in cells)
        if states not in scored:
            scored[states] = (weighted_score(columns, cells), on_target_everywhere(columns, cells))
        score, on_target = scored[states]
        return Row(kind=kind, id=owner_id, name=name, department=where, figures=cells, score=score, on_target=on_target)

    applies_at: dict[str, list[bool]] = {}  # department path -> which columns apply to a person sitting there
    person_rows = []
    for pk, first_name, last_name, username, where, path in people:
        if path not in applies_at:
            applies_at[path] = [_person_applies(m, path) for m in metrics]
        # User.display_name, without building a User: the full name, or the username when there is none.
        name = f"{first_name} {last_name}".strip() or username
        person_rows.append(row(PERSON, Rollup.PERSON, pk, name, where, applies_at[path]))
    return Scorecard(
        department_id=department.pk,
        department=department.name,
        period=period,
        start=start,
        end=periods.bucket_end(start, period),
        columns=columns,
        people=person_rows,
        departments=[
            row(DEPARTMENT, Rollup.DEPARTMENT, c.pk, c.name, c.name, [_subtree_applies(m, c) for m in metrics])
            for c in children
        ],
        total=row(
            TOTAL,
            Rollup.DEPARTMENT,
            department.pk,
            f"All of {department.name}",
            department.name,
            [True] * len(metrics),
        ),
    )


NOT_APPLICABLE_FIGURE = Figure(value=None, display="", state=NOT_APPLICABLE)


class _Judge:
    """One column's figure maker: its target found once for the bucket, then each value judged against it."""

    def __init__(self, metric: Metric, start: date):
        self.metric = metric
        self.start = start
        self.target = metric.target_on(start, list(metric.targets.all()))
        self.higher = metric.direction == Metric.Direction.HIGHER

    def figure(self, value: float | None) -> Figure:
        # The figure as shown: what is sorted, frozen and exported is what was judged (as figures.cell() judges).
        state = status_rules.status(value, self.target, higher_is_better=self.higher, decimals=self.metric.decimals)
        return Figure(
            value=status_rules.rounded(value, self.metric.decimals),
            display=format_value(self.metric, value),
            state=state,
        )


def _column(metric: Metric, start: date) -> Column:
    target = metric.target_on(start, list(metric.targets.all()))
    return Column(
        metric_id=metric.pk,
        name=metric.name,
        code=metric.code,
        unit=metric.unit,
        department=metric.department.name,
        weight=metric.weight,
        higher_is_better=metric.direction == Metric.Direction.HIGHER,
        per_person=metric.per_person,
        target=None if target is None else target.target,
        target_display="" if target is None else format_value(metric, target.target),
        decimals=metric.decimals,
    )


@dataclass
class Loaded:
    """The scorecard to show for a department and bucket: frozen if the department closed it, live otherwise."""

    scorecard: Scorecard
    closed: ClosedPeriod | None  # this department's closing of exactly this bucket
    covering: list[ClosedPeriod]  # other closed periods (here or above) whose days overlap this bucket


def load_closings(*, department: Department, period: str, start: date) -> tuple[ClosedPeriod | None, list]:
    """One query: this department's closing of exactly this bucket (or None), and the other closed periods here or
    above whose days overlap the bucket."""
    start = periods.bucket_start(start, period)
    end = periods.bucket_end(start, period)
    concerning = list(
        ClosedPeriod.objects.in_force()
        .filter(
            department_id__in=[*department.ancestor_ids, department.pk],
            start__lte=end,
            end__gte=start,
        )
        .select_related("department", "closed_by")
        .order_by("department__depth", "start")
    )
    closed = next(
        (c for c in concerning if c.department_id == department.pk and c.period == period and c.start == start), None
    )
    return closed, [c for c in concerning if c is not closed]


def load_scorecard(*, department: Department, period: str, start: date) -> Loaded:
    """One query for the closed periods that concern the bucket, then the frozen JSON or a live build."""
    start = periods.bucket_start(start, period)
    closed, covering = load_closings(department=department, period=period, start=start)
    scorecard = (
        Scorecard.from_json(closed.scorecard)
        if closed is not None
        else build_scorecard(department=department, period=period, start=start)
    )
    return Loaded(scorecard=scorecard, closed=closed, covering=covering)


# What the matrix page caches. The organization's matrix is some 5,000 rows of a dozen cells: building it, and
# rendering a hundred of its rows, costs far more than the rest of the page. So the page keeps what it rendered
# in the cache (Redis in production), under a key that changes whenever what it shows may have changed:
#   - a closed period is frozen: its key names the closing, and forget_closed_scorecard() drops it (call it when
#     a closing is reopened; a closing made again is a new row with a new key anyway);
#   - a live matrix names the data stamp (core.stamps) of everything it is built from: metrics and their targets,
#     the rollup runs (a run writes metrics_rolluprun in the transaction of its buckets), departments, and people
#     (who joins, leaves, moves or is renamed). Any write to them, by any path, shows on the next view.
# A cache that cannot be reached never fails the page: it is built as if nothing were cached.

CACHE_SECONDS = 10 * 60
CACHE_PREFIX = f"keel:scorecard:{FORMAT_VERSION}"
STAMP = "scorecard"
WATCHED = ("metrics_metric", "metrics_target", "metrics_rolluprun", "org_department", PEOPLE_AS_SHOWN)
log = logging.getLogger(__name__)


def watch_sources() -> None:
    """Declare what a live scorecard is built from (called by MetricsConfig.ready)."""
    stamps.watch_all(STAMP, WATCHED)


def cache_key(*, department: Department, period: str, start: date, closed: ClosedPeriod | None) -> str | None:
    """The key under which anything derived from this matrix is cached (append what varies within it); None when
    nothing may be cached (the data stamp cannot be read).

    Queries: none for a closed period (one cache read); one for a live one (the data stamp).
    """
    if closed is not None:
        generation = cache_get(f"{CACHE_PREFIX}:closed:{closed.pk}") or 0
        return f"{CACHE_PREFIX}:closed:{closed.pk}:{generation}"
    version = stamps.version(STAMP)
    if version is None:
        return None
    start = periods.bucket_start(start, period)
    return f"{CACHE_PREFIX}:live:{department.pk}:{period}:{start.isoformat()}:{version}"


def forget_closed_scorecard(closed_period: ClosedPeriod) -> None:
    """Drop everything cached of a closed period's frozen scorecard (call it when the period is reopened).

    Moves the closing's generation on, so that every key cache_key() gave for it is never read again (they expire
    after CACHE_SECONDS). A cache that cannot be reached is logged and ignored: nothing is cached there either.
    """
    try:
        cache.set(f"{CACHE_PREFIX}:closed:{closed_period.pk}", time.time_ns(), None)
    except Exception as error:  # any cache failure
        log.warning("scorecard cache unreachable, closing %s not forgotten: %s", closed_period.pk, error)


def cache_get(key: str):
    """The cached value, or None when it is missing or the cache cannot be reached (logged)."""
    return best_effort.cache_get(key)


def cache_set(key: str, value) -> None:
    best_effort.cache_set(key, value, CACHE_SECONDS)


def sort_keys(columns: list[Column]) -> set[str]:
    return {"name", "score", *(c.key for c in columns)}


def sort_rows(rows: list[Row], columns: list[Column], sort: str) -> list[Row]:
    """Rows ordered by "name", "score" or a column key ("m12"); "-" first for descending; blanks always last."""
    descending = sort.startswith("-")
    key = sort.removeprefix("-")
    index = next((i for i, c in enumerate(columns) if c.key == key), None)
    if key == "score":

        def value(r):
            return r.score
    elif index is not None:

        def value(r):
            return r.figures[index].value
    else:
        return sorted(rows, key=lambda r: r.name.lower(), reverse=descending)
    present = sorted((r for r in rows if value(r) is not None), key=value, reverse=descending)
    return present + [r for r in rows if value(r) is None]


# Exports: the same rows and statuses as the page, one value and one status column per metric.

FILLS = {status_rules.ON_TRACK: "D1E7DD", status_rules.AT_RISK: "FFF3CD", status_rules.OFF_TRACK: "F8D7DA"}


def export_header(scorecard: Scorecard) -> list[str]:
    header = ["Name", "Department"]
    for column in scorecard.columns:
        header += [column.heading, f"{column.name}: status"]
    return [*header, "Weighted score (%)"]


def export_rows(scorecard: Scorecard, rows: list[Row]) -> list[list]:
    """Header, rows, then the total row; values as numbers rounded as shown (None when empty), statuses as words."""
    return list(export_lines(scorecard, rows))


def export_lines(scorecard: Scorecard, rows: list[Row]):
    """export_rows() one line at a time, for a CSV streamed while it is written."""
    yield export_header(scorecard)
    for row in [*rows, scorecard.total]:
        yield _export_line(scorecard, row)


def _export_line(scorecard: Scorecard, row: Row) -> list:
    line = [row.name, row.department]
    for column, figure in zip(scorecard.columns, row.figures, strict=True):
        line += [status_rules.rounded(figure.value, column.decimals), figure.look.label]
    return [*line, None if row.score is None else round(row.score * 100, 1)]


def write_csv(out, scorecard: Scorecard, rows: list[Row]) -> None:
    out.writelines(csv_lines(export_lines(scorecard, rows)))


def xlsx_bytes(scorecard: Scorecard, rows: list[Row]) -> bytes:
    """A workbook with one sheet: the matrix, status colours as fills (and in words), the total row in bold.

    Written row by row by core.spreadsheets.xlsx_table(): the organization's matrix is some 5,000 rows of 30 cells,
    and through openpyxl (even write-only) it took five to six times as long as its CSV.
    """

    def styled(line: list, figures: list[Figure], *, bold: bool = False) -> list:
        looks = [Styled(value, bold=True) for value in line] if bold else list(line)
        for index, figure in enumerate(figures):
            fill = FILLS.get(figure.state)
            if fill:
                for at in (2 + 2 * index, 3 + 2 * index):
                    looks[at] = Styled(line[at], fill=fill, bold=bold)
        return looks

    def lines():
        yield [Styled(value, bold=True) for value in export_header(scorecard)]
        for row in rows:
            yield styled(_export_line(scorecard, row), row.figures)
        yield styled(_export_line(scorecard, scorecard.total), scorecard.total.figures, bold=True)

    widths = [24, 24] + [16] * (2 * len(scorecard.columns) + 1)
    return xlsx_table(lines(), title=scorecard.label, widths=widths, freeze=(2, 1))
