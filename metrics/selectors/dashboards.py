"""What the dashboards show: each metric's current figure, trend and department figure, from rollups only."""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q

from core import periods
from metrics.models import Metric
from metrics.selectors import figures as selectors
from metrics.selectors.figures import DEPARTMENT, PERSON, Cell
from org.models import Department

TREND_BUCKETS = {periods.DAY: 14, periods.WEEK: 12, periods.MONTH: 12}


@dataclass
class MetricCard:
    metric: Metric
    current: Cell
    previous: Cell
    department_figure: Cell | None
    trend: dict = field(default_factory=dict)  # for Chart.js: labels, values, department, target

    @property
    def dom_id(self) -> str:
        return f"trend-{self.metric.pk}"


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
    starts = periods.recent_buckets(period, TREND_BUCKETS[period], until=until)
    owners = {(PERSON, user.pk), (DEPARTMENT, user.department_id)} if user.department_id else {(PERSON, user.pk)}
    figures = selectors.figures(metrics=metrics, owners=owners, period=period, starts=starts)
    current = starts[-1]
    cards = []
    for metric in metrics:
        owner = selectors.owner_of(metric, user)
        department_owner = (DEPARTMENT, user.department_id) if metric.per_person and user.department_id else None
        cards.append(MetricCard(
            metric=metric,
            current=selectors.cell(metric, figures.get((metric.pk, *owner, current)), current),
            previous=selectors.cell(metric, figures.get((metric.pk, *owner, starts[-2])), starts[-2]),
            department_figure=selectors.cell(metric, figures.get((metric.pk, *department_owner, current)), current)
            if department_owner else None,
            trend=_trend(metric, figures, owner, department_owner, starts, period),
        ))
    return cards


@dataclass
class DepartmentRow:
    department: Department
    cells: list[Cell]


def department_view(*, department: Department, period: str, until: date | None = None) -> dict:
    """A department's metrics (its own, and per-person ones from above), its figure and each sub-department's.

    Queries: metrics with targets, the sub-departments, and one for all figures.
    """
    applicable = Q(department=department) | Q(department_id__in=department.ancestor_ids,
                                               owner_kind=Metric.Owner.PERSON)
    metrics = list(selectors.with_targets(Metric.objects.active().filter(applicable)).order_by("name"))
    children = list(department.children.order_by("name"))
    starts = periods.recent_buckets(period, TREND_BUCKETS[period], until=until)
    current = starts[-1]
    owners = [(DEPARTMENT, department.pk)] + [(DEPARTMENT, child.pk) for child in children]
    figures = selectors.figures(metrics=metrics, owners=owners, period=period, starts=starts)
    own = (DEPARTMENT, department.pk)
    cards = [MetricCard(metric=m, current=selectors.cell(m, figures.get((m.pk, *own, current)), current),
                        previous=selectors.cell(m, figures.get((m.pk, *own, starts[-2])), starts[-2]),
                        department_figure=None, trend=_trend(m, figures, own, None, starts, period))
             for m in metrics]
    # Side by side: the per-person metrics, whose figures every sub-department has for its own people.
    compared = [m for m in metrics if m.per_person]
    rows = [DepartmentRow(department=child,
                          cells=[selectors.cell(m, figures.get((m.pk, DEPARTMENT, child.pk, current)), current)
                                 for m in compared])
            for child in children]
    return {"cards": cards, "metrics": compared, "children": rows, "current": current}
