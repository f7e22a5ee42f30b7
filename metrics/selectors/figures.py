"""Reads for dashboards and scorecards: which metrics a person sees, and figures from rollups in one query."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, Q

from core import periods
from metrics import status as status_rules
from metrics.models import Metric, Rollup, Target, aggregate_value
from org import access

PERSON, DEPARTMENT = Rollup.PERSON, Rollup.DEPARTMENT


def with_targets(metrics):
    return metrics.select_related("department").prefetch_related(
        Prefetch("targets", queryset=Target.objects.order_by("valid_from"))
    )


def manageable_metrics(user):
    """Metrics the user may define, change and archive: those of the departments they manage."""
    return Metric.objects.filter(department__in=access.managed_departments(user))


def recordable_metrics(user):
    """Active metrics the user may record readings of for someone (access.can_record_reading holds for some
    person): those of the departments they manage, and the per-person metrics that apply to them."""
    return (manageable_metrics(user).active() | my_metrics(user).filter(owner_kind=Metric.Owner.PERSON)).distinct()


def visible_metrics(user):
    """Metrics whose pages the user may open: managed ones, and those that apply to their own department."""
    condition = Q(department__in=access.managed_departments(user))
    if user.department_id:
        ancestors = [*user.department.ancestor_ids, user.department_id]
        condition |= Q(department_id__in=ancestors)
    return Metric.objects.filter(condition)


def my_metrics(user):
    """Active metrics that apply to the person: per-person metrics of their department or any above it, and
    their own department's department metrics."""
    if not user.department_id:
        return Metric.objects.none()
    ancestors = [*user.department.ancestor_ids, user.department_id]
    return Metric.objects.active().filter(
        Q(owner_kind=Metric.Owner.PERSON, department_id__in=ancestors)
        | Q(owner_kind=Metric.Owner.DEPARTMENT, department_id=user.department_id)
    )


def _owner_condition(owners: Iterable[tuple[str, int]]) -> Q:
    condition = Q()
    for owner_type in sorted({t for t, _ in owners}):
        condition |= Q(owner_type=owner_type, owner_id__in=[i for t, i in owners if t == owner_type])
    return condition


STATISTICS = ("n", "total", "minimum", "maximum", "last_value", "denominator")


def _value(metric: Metric, n, total, minimum, maximum, last_value, denominator) -> float | None:
    return aggregate_value(
        metric.aggregation,
        n=n,
        total=total,
        minimum=minimum,
        maximum=maximum,
        last_value=last_value,
        denominator=denominator,
        ratio_scale=metric.ratio_scale,
    )


def figures(
    *,
    metrics: Iterable[Metric],
    owners: Iterable[tuple[str, int]],
    period: str,
    starts: Iterable[date],
    beside: tuple[Iterable[tuple[str, int]], date] | None = None,
) -> dict[tuple[int, str, int, date], float | None]:
    """{(metric id, owner type, owner id, bucket start): value} for every existing bucket, in one query.

    beside=(other owners, start): owners whose figures are wanted for that one bucket only (a dashboard's
    sub-departments side by side), read in the same query.

    The buckets are asked for as a range of starts (first to last wanted) and the others dropped here: with a list
    of starts, PostgreSQL 15 read the start (and owner type) as a filter, not as part of the index condition,
    and so went through every bucket of the metrics (milliseconds on a large organization, not a tenth of one).
    The statistics are read as tuples, not Rollup models.
    """
    metrics = {m.pk: m for m in metrics}
    owners, wanted = set(owners), set(starts)
    others, other_start = (set(beside[0]), beside[1]) if beside else (set(), None)
    condition = Q()
    if owners and wanted:
        condition |= _owner_condition(owners) & Q(start__gte=min(wanted), start__lte=max(wanted))
    if others:
        condition |= _owner_condition(others) & Q(start=other_start)
    if not metrics or not condition:
        return {}
    rows = Rollup.objects.filter(condition, metric_id__in=metrics, period=period).values_list(
        "metric_id", "owner_type", "owner_id", "start", *STATISTICS
    )
    return {
        (metric_id, owner_type, owner_id, start): _value(metrics[metric_id], *statistics)
        for metric_id, owner_type, owner_id, start, *statistics in rows
        if ((owner_type, owner_id) in owners and start in wanted)
        or ((owner_type, owner_id) in others and start == other_start)
    }


def figure_values(
    *, metrics: Iterable[Metric], owners: Iterable[tuple[str, int]], period: str, start: date
) -> dict[tuple[int, str, int], float | None]:
    """{(metric id, owner type, owner id): value} of one bucket, as figures() gives them, in one query.

    The statistics are read as tuples, not Rollup models: a scorecard of the whole organization reads thousands.
    """
    metrics = {m.pk: m for m in metrics}
    owners = list(owners)
    if not metrics or not owners:
        return {}
    rows = Rollup.objects.filter(
        _owner_condition(owners), metric_id__in=metrics, period=period, start=start
    ).values_list("metric_id", "owner_type", "owner_id", *STATISTICS)
    return {
        (metric_id, owner_type, owner_id): _value(metrics[metric_id], *statistics)
        for metric_id, owner_type, owner_id, *statistics in rows
    }


@dataclass
class Cell:
    """A figure with its target and status, ready for a template."""

    metric: Metric
    value: float | None
    target: Target | None
    state: str

    @property
    def look(self):
        return status_rules.look(self.state)

    @property
    def display(self) -> str:
        return format_value(self.metric, self.value)

    @property
    def target_display(self) -> str:
        """The target in force, with its direction: '≥ 80.0%', '≤ 4.0 h'."""
        if self.target is None:
            return "–"
        sign = "≤" if self.metric.direction == Metric.Direction.LOWER else "≥"
        return f"{sign} {format_value(self.metric, self.target.target)}"


def cell(metric: Metric, value: float | None, day: date) -> Cell:
    target = metric.target_on(day, list(metric.targets.all()))
    higher = metric.direction == Metric.Direction.HIGHER
    return Cell(
        metric=metric,
        value=value,
        target=target,
        state=status_rules.status(value, target, higher_is_better=higher, decimals=metric.decimals),
    )


def format_value(metric: Metric, value: float | None) -> str:
    if value is None:
        return "–"
    text = f"{value:,.{metric.decimals}f}"
    if not metric.unit:
        return text
    return f"{text}{metric.unit}" if metric.unit == "%" else f"{text} {metric.unit}"


def owner_of(metric: Metric, user) -> tuple[str, int]:
    """Whose figure a person sees as theirs: their own for per-person metrics, their department's otherwise."""
    return (PERSON, user.pk) if metric.per_person else (DEPARTMENT, user.department_id)


def current_bucket(period: str) -> date:
    return periods.bucket_start(periods.today(), period)
