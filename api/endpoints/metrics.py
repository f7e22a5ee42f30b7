"""Reads of metrics: metrics with targets, rollups per period and owner, my metrics, a department's dashboard
figures and a scorecard. The same selectors and access rules as the metrics pages; what a page hides is a 404."""

import math
from datetime import date, datetime
from typing import Any, Literal

from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from api.pagination import PageQuery, page
from api.problems import Problem
from api.schemas import READ_ERRORS
from core import dates, periods
from metrics.models import Metric, Rollup
from metrics.selectors import dashboards, figures, scorecards
from org import access

router = Router(tags=["metrics"])

Period = Literal["day", "week", "month"]


class TargetOut(Schema):
    valid_from: date | None
    target: float
    warning: float | None


class MetricOut(Schema):
    id: int
    code: str
    name: str
    description: str
    department_id: int
    unit: str
    direction: str
    aggregation: str
    frequency: str
    owner_kind: str
    min_value: float | None
    max_value: float | None
    decimals: int
    archived: bool
    targets: list[TargetOut]


def metric_out(metric: Metric) -> dict:
    return {
        "id": metric.pk,
        "code": metric.code,
        "name": metric.name,
        "description": metric.description,
        "department_id": metric.department_id,
        "unit": metric.unit,
        "direction": metric.direction,
        "aggregation": metric.aggregation,
        "frequency": metric.frequency,
        "owner_kind": metric.owner_kind,
        "min_value": metric.min_value,
        "max_value": metric.max_value,
        "decimals": metric.decimals,
        "archived": metric.is_archived,
        "targets": [
            {"valid_from": t.valid_from, "target": t.target, "warning": t.warning} for t in metric.targets.all()
        ],
    }


class MetricPage(Schema):
    items: list[MetricOut]
    next_cursor: str | None


class MetricFilters(PageQuery):
    department: int | None = Field(None, ge=1, le=2**62, description="Only this department's metrics.")
    code: str | None = Field(None, max_length=80)
    archived: bool = Field(False, description="Include archived metrics.")


@router.get("/metrics", response={200: MetricPage, **READ_ERRORS}, operation_id="list_metrics")
def list_metrics(request, filters: Query[MetricFilters]):
    """Metrics whose pages the token's user may open, with their targets; paged by cursor."""
    metrics = figures.visible_metrics(request.user)
    if not filters.archived:
        metrics = metrics.active()
    if filters.department:
        metrics = metrics.filter(department_id=filters.department)
    if filters.code:
        metrics = metrics.filter(code=filters.code)
    items, cursor = page(figures.with_targets(metrics), filters)
    return {"items": [metric_out(m) for m in items], "next_cursor": cursor}


def _metric(user, pk: int) -> Metric:
    return access.get_visible_or_404(figures.with_targets(figures.visible_metrics(user)), "No such metric.", pk=pk)


@router.get("/metrics/{int:metric_id}", response={200: MetricOut, **READ_ERRORS}, operation_id="get_metric")
def get_metric(request, metric_id: int):
    return metric_out(_metric(request.user, metric_id))


class RollupOut(Schema):
    period: str
    start: date
    owner_type: Literal["person", "department"]
    owner_id: int
    value: float | None = Field(description="The bucket's figure by the metric's aggregation.")
    readings: int
    status: str


class RollupPage(Schema):
    items: list[RollupOut]
    next_cursor: str | None


class RollupFilters(PageQuery):
    period: Period = "week"
    owner_type: Literal["person", "department"] = "department"
    owner_id: int | None = Field(None, ge=1, le=2**62, description="Default: the metric's department, or you.")
    start_from: date | None = None
    start_to: date | None = None


OWNER_TYPES = {"person": Rollup.PERSON, "department": Rollup.DEPARTMENT}


@router.get("/metrics/{int:metric_id}/rollups", response={200: RollupPage, **READ_ERRORS}, operation_id="list_rollups")
def list_rollups(request, metric_id: int, filters: Query[RollupFilters]):
    """A metric's figures per day, week or month for one owner (a department, with everything below it, or a
    person), from the rollups the dashboards read. A person or department the user may not see is a 404."""
    user = request.user
    metric = _metric(user, metric_id)
    if filters.owner_type == "person":
        owner_id = filters.owner_id or user.pk
        access.person_for(user, owner_id)
    else:
        owner_id = filters.owner_id or metric.department_id
        access.department_for(user, owner_id)
    for day in (filters.start_from, filters.start_to):
        if dates.problem(day):
            raise Problem(422, dates.problem(day))
    rollups = Rollup.objects.filter(
        metric=metric, period=filters.period, owner_type=OWNER_TYPES[filters.owner_type], owner_id=owner_id
    )
    if filters.start_from:
        rollups = rollups.filter(start__gte=filters.start_from)
    if filters.start_to:
        rollups = rollups.filter(start__lte=filters.start_to)
    items, cursor = page(rollups, filters)
    out = []
    for rollup in items:
        cell = figures.cell(metric, rollup.value_for(metric), rollup.start)
        out.append(
            {
                "period": rollup.period,
                "start": rollup.start,
                "owner_type": filters.owner_type,
                "owner_id": rollup.owner_id,
                "value": cell.value,
                "readings": rollup.n,
                "status": cell.state,
            }
        )
    return {"items": out, "next_cursor": cursor}


class FigureOut(Schema):
    start: date
    value: float | None
    target: float | None
    status: str


def figure_out(cell, start: date) -> dict:
    return {
        "start": start,
        "value": cell.value,
        "target": None if cell.target is None else cell.target.target,
        "status": cell.state,
    }


class CardOut(Schema):
    metric: MetricOut
    current: FigureOut = Field(description="The period so far (not judged).")
    previous: FigureOut = Field(description="The last complete period, whose status counts.")
    department: FigureOut | None = Field(description="Your department's figure for the last complete period.")


class PeriodQuery(Schema):
    period: Period = "week"


def _cards(cards, current: date, previous: date) -> list[dict]:
    return [
        {
            "metric": metric_out(card.metric),
            "current": figure_out(card.current, current),
            "previous": figure_out(card.previous, previous),
            "department": None if card.department_figure is None else figure_out(card.department_figure, previous),
        }
        for card in cards
    ]


@router.get("/me/metrics", response={200: list[CardOut], **READ_ERRORS}, operation_id="my_metrics")
def my_metrics(request, query: Query[PeriodQuery]):
    """The metrics that apply to the token's user, with their own figures (as on the Today page)."""
    starts = periods.recent_buckets(query.period, 2, until=periods.today())
    cards = dashboards.personal_cards(user=request.user, period=query.period)
    return _cards(cards, starts[-1], starts[-2])


class ChildRowOut(Schema):
    department_id: int
    name: str
    figures: list[FigureOut]


class DashboardOut(Schema):
    department_id: int
    period: str
    current: date
    complete: date
    cards: list[CardOut]
    compared_metric_ids: list[int]
    children: list[ChildRowOut]


@router.get(
    "/departments/{int:department_id}/dashboard",
    response={200: DashboardOut, **READ_ERRORS},
    operation_id="department_dashboard",
)
def department_dashboard(request, department_id: int, query: Query[PeriodQuery]):
    """A department's dashboard figures: its metrics' current and last complete period, and each
    sub-department's figure side by side. Departments the user may not see are 404."""
    department = access.department_for(request.user, department_id)
    view = dashboards.department_view(department=department, period=query.period)
    return {
        "department_id": department.pk,
        "period": query.period,
        "current": view["current"],
        "complete": view["complete"],
        "cards": _cards(view["cards"], view["current"], view["complete"]),
        "compared_metric_ids": [m.pk for m in view["metrics"]],
        "children": [
            {
                "department_id": row.department.pk,
                "name": row.department.name,
                "figures": [figure_out(c, view["complete"]) for c in row.cells],
            }
            for row in view["children"]
        ],
    }


class ScorecardQuery(Schema):
    period: Period = "month"
    start: date | None = Field(None, description="Any day of the period; default: the last complete one.")


class ScorecardOut(Schema):
    closed: bool = Field(description="True when the department closed this period: the figures are frozen.")
    scorecard: dict[str, Any]


@router.get(
    "/departments/{int:department_id}/scorecard",
    response={200: ScorecardOut, **READ_ERRORS},
    operation_id="department_scorecard",
)
def department_scorecard(request, department_id: int, query: Query[ScorecardQuery]):
    """The scorecard of a period (managers of the department): every metric's figure per person and
    sub-department, scores and targets, frozen if the period was closed."""
    department = access.department_for(request.user, department_id, manage=True)
    start = query.start or periods.last_complete(query.period)
    if dates.problem(start):
        raise Problem(422, dates.problem(start))
    loaded = scorecards.load_scorecard(department=department, period=query.period, start=start)
    return {"closed": loaded.closed is not None, "scorecard": _json_ready(loaded.scorecard.to_json())}


def _json_ready(value):
    """Dates as ISO text and non-finite floats as null: what JSON can carry."""
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(item) for item in value]
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
