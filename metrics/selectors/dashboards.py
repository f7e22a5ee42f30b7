"""What the dashboards show: each metric's last complete period (judged against its target), the period so far
beside it (with how much of it has passed, not judged), its trend and department figure, from rollups only.

On a Monday morning the week has barely begun: its figure is a first reading or none, so the status a card shows
comes from the last complete week, and the week so far is shown for what it is.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q

from core import periods
from metrics import status as status_rules
from metrics.models import Metric
from metrics.selectors import figures as selectors
from metrics.selectors.figures import DEPARTMENT, PERSON, Cell
from org import selectors as org_selectors
from org.models import Department

TREND_BUCKETS = {periods.DAY: 14, periods.WEEK: 12, periods.MONTH: 12}


@dataclass(frozen=True)
class SoFar:
    """How much of the current period has passed: day `passed` of `length`."""

    period: str
    start: date
    passed: int
    length: int

    @property
    def text(self) -> str:
        if self.period == periods.DAY:
            return "the day is not over yet"
        return f"day {self.passed} of {self.length}"

    @classmethod
    def of(cls, start: date, period: str, *, on: date) -> "SoFar":
        return cls(
            period=period,
            start=start,
            passed=periods.days_passed(start, period, on=on),
            length=periods.length(start, period),
        )


@dataclass
class MetricCard:
    """current: the period so far (not judged); previous: the last complete period, whose status the card shows."""

    metric: Metric
    current: Cell
    previous: Cell
    department_figure: Cell | None
    trend: dict = field(default_factory=dict)  # for Chart.js: labels, values, department, target
    so_far: SoFar | None = None

    @property
    def dom_id(self) -> str:
        return f"trend-{self.metric.pk}"

    @property
    def judged(self) -> Cell:
        """The figure whose status the card shows: the last complete period's."""
        return self.previous


def _trend(metric, figures, owner, department_owner, starts, period) -> dict:
    targets = list(metric.targets.all())
    return {
        "labels": [periods.label(s, period) for s in starts],
        "values": [figures.get((metric.pk, *owner, s)) for s in starts],
        "department": [figures.get((metric.pk, *department_owner, s)) for s in starts] if department_owner else [],
        "target": [t.target if (t := metric.target_on(s, targets)) else None for s in starts],
        "unit": metric.unit,
        "decimals": metric.decimals,
        "lowerIsBetter": metric.direction == Metric.Direction.LOWER,
    }


def personal_cards(*, user, period: str, until: date | None = None) -> list[MetricCard]:
    """The person's metrics: their own figure (or their department's), with the department's beside it.

    Queries: metrics with departments, their targets, and one for every figure of every card.
    """
    metrics = list(selectors.with_targets(selectors.my_metrics(user)).order_by("name"))
    day = until or periods.today()
    starts = periods.recent_buckets(period, TREND_BUCKETS[period], until=day)
    owners = {(PERSON, user.pk), (DEPARTMENT, user.department_id)} if user.department_id else {(PERSON, user.pk)}
    figures = selectors.figures(metrics=metrics, owners=owners, period=period, starts=starts)
    current = starts[-1]
    so_far = SoFar.of(current, period, on=day)
    cards = []
    for metric in metrics:
        owner = selectors.owner_of(metric, user)
        department_owner = (DEPARTMENT, user.department_id) if metric.per_person and user.department_id else None
        cards.append(
            MetricCard(
                metric=metric,
                current=selectors.cell(metric, figures.get((metric.pk, *owner, current)), current),
                previous=selectors.cell(metric, figures.get((metric.pk, *owner, starts[-2])), starts[-2]),
                department_figure=selectors.cell(
                    metric, figures.get((metric.pk, *department_owner, starts[-2])), starts[-2]
                )
                if department_owner
                else None,
                trend=_trend(metric, figures, owner, department_owner, starts, period),
                so_far=so_far,
            )
        )
    return cards


@dataclass
class DepartmentRow:
    department: Department
    cells: list[Cell]


def department_view(*, department: Department, period: str, until: date | None = None) -> dict:
    """A department's metrics (its own, and per-person ones from above), its figure and each sub-department's
    (side by side for the last complete period, so that no one is compared on a period that has barely begun).

    Queries: metrics with targets, the sub-departments, and one for all figures.
    """
    applicable = Q(department=department) | Q(department_id__in=department.ancestor_ids, owner_kind=Metric.Owner.PERSON)
    metrics = list(selectors.with_targets(Metric.objects.active().filter(applicable)).order_by("name"))
    children = list(department.children.order_by("name"))
    day = until or periods.today()
    starts = periods.recent_buckets(period, TREND_BUCKETS[period], until=day)
    current, complete = starts[-1], starts[-2]
    so_far = SoFar.of(current, period, on=day)
    own = (DEPARTMENT, department.pk)
    # Its own figures for the trend; the sub-departments' only for the complete period they are compared on
    figures = selectors.figures(
        metrics=metrics,
        owners=[own],
        period=period,
        starts=starts,
        beside=([(DEPARTMENT, child.pk) for child in children], complete),
    )
    cards = [
        MetricCard(
            metric=m,
            current=selectors.cell(m, figures.get((m.pk, *own, current)), current),
            previous=selectors.cell(m, figures.get((m.pk, *own, starts[-2])), starts[-2]),
            department_figure=None,
            trend=_trend(m, figures, own, None, starts, period),
            so_far=so_far,
        )
        for m in metrics
    ]
    # Side by side: the per-person metrics, whose figures every sub-department has for its own people.
    compared = [m for m in metrics if m.per_person]
    rows = [
        DepartmentRow(
            department=child,
            cells=[selectors.cell(m, figures.get((m.pk, DEPARTMENT, child.pk, complete)), complete) for m in compared],
        )
        for child in children
    ]
    return {
        "cards": cards,
        "metrics": compared,
        "children": rows,
        "current": current,
        "complete": complete,
        "so_far": so_far,
    }


@dataclass
class OverviewRow:
    """One department on the organization dashboard: its metrics' figures for the last complete period."""

    department: Department
    cells: list[Cell]

    def count(self, state: str) -> int:
        return sum(1 for c in self.cells if c.state == state)

    @property
    def on_track(self) -> int:
        return self.count(status_rules.ON_TRACK)

    @property
    def at_risk(self) -> int:
        return self.count(status_rules.AT_RISK)

    @property
    def off_track(self) -> int:
        return self.count(status_rules.OFF_TRACK)

    @property
    def without_figure(self) -> int:
        return self.count(status_rules.NO_DATA)


def organization_overview(*, departments, period: str, until: date | None = None) -> dict:
    """Every department of `departments` (a queryset) side by side, each with the figures of the metrics that
    apply to it (its own department metrics, and the per-person metrics of it and every department above it) for
    the last complete period, judged against their targets; in tree order.

    Queries: the departments, the active metrics with their targets (two), and one for all figures, whatever the
    number of departments and metrics.
    """
    departments = org_selectors.flatten(org_selectors.as_tree(list(departments)))
    if not departments:
        return {"rows": [], "complete": None, "metric_count": 0}
    metrics = list(selectors.with_targets(Metric.objects.active()).order_by("name"))
    day = until or periods.today()
    complete = periods.recent_buckets(period, 2, until=day)[0]
    figures = selectors.figures(
        metrics=metrics, owners=[(DEPARTMENT, d.pk) for d in departments], period=period, starts=[complete]
    )
    by_department: dict[int, list[Metric]] = {}
    for metric in metrics:
        by_department.setdefault(metric.department_id, []).append(metric)
    rows = []
    for department in departments:
        lineage = {*department.ancestor_ids, department.pk}
        applicable = [
            m
            for owner_id in lineage
            for m in by_department.get(owner_id, [])
            if m.per_person or m.department_id == department.pk
        ]
        applicable.sort(key=lambda m: m.name)
        rows.append(
            OverviewRow(
                department=department,
                cells=[
                    selectors.cell(m, figures.get((m.pk, DEPARTMENT, department.pk, complete)), complete)
                    for m in applicable
                ],
            )
        )
    return {"rows": rows, "complete": complete, "metric_count": len(metrics)}
