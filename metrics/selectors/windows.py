"""Figures inside a window of days (a goal's cycle): whole buckets from their rollups, edge buckets from days.

A cycle that starts on a Wednesday, or a goal due mid-week, cuts the first and last week (or month): the week's
rollup would mix in days outside the window, so those pieces are rebuilt from the day rollups inside it.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from django.db.models import Q

from core import periods
from metrics.models import Metric, Rollup, aggregate_value


@dataclass(frozen=True)
class Window:
    """What one series needs: a metric, a department (subtree) owner, a bucket size and the days first..last."""

    metric: Metric
    owner_id: int
    period: str
    first: date
    last: date


@dataclass(frozen=True)
class Point:
    """The figure of one piece of a window: its days first..last, and whether they are all over on the day asked."""

    piece: periods.Piece
    value: float
    complete: bool


class _Stats(NamedTuple):
    """A rollup's statistics, read as a tuple: the cascade of a large organization reads thousands of day rollups."""

    metric_id: int
    owner_id: int
    period: str
    start: date
    n: int
    total: float
    minimum: float
    maximum: float
    last_value: float
    denominator: float | None

    def value_for(self, metric: Metric) -> float | None:
        return aggregate_value(
            metric.aggregation,
            n=self.n,
            total=self.total,
            minimum=self.minimum,
            maximum=self.maximum,
            last_value=self.last_value,
            denominator=self.denominator,
            ratio_scale=metric.ratio_scale,
        )


def _combined(metric: Metric, days: list[_Stats]) -> float | None:
    """A piece's figure from its day rollups, combined the way the rollup builds weeks and months from days."""
    if not days:
        return None
    latest = max(days, key=lambda d: d.start)
    denominators = [d.denominator for d in days if d.denominator is not None]
    return aggregate_value(
        metric.aggregation,
        n=sum(d.n for d in days),
        total=sum(d.total for d in days),
        minimum=min(d.minimum for d in days),
        maximum=max(d.maximum for d in days),
        last_value=latest.last_value,
        denominator=sum(denominators) if denominators else None,
        ratio_scale=metric.ratio_scale,
    )


def series(windows: Iterable[Window], *, on: date) -> dict[Window, list[Point]]:
    """{window: [Point, ...]} oldest first, only pieces with a figure: one query for every window.

    Every day of a window counts in exactly one piece and no day outside it counts; a piece is complete once its
    last day is over on `on` (pieces after `on` are left out).
    """
    windows = list(dict.fromkeys(windows))
    cuts = {w: periods.cut(w.first, min(w.last, on), w.period) for w in windows}
    buckets: dict[tuple[int, int, str], set[date]] = defaultdict(set)
    edges: dict[tuple[int, int], set[tuple[date, date]]] = defaultdict(set)
    for window, pieces in cuts.items():
        for piece in pieces:
            if piece.whole:
                buckets[(window.metric.pk, window.owner_id, window.period)].add(piece.bucket)
            else:
                edges[(window.metric.pk, window.owner_id)].add((piece.first, piece.last))
    wanted = Q()
    for (metric_id, owner_id, period), starts in buckets.items():
        wanted |= Q(metric_id=metric_id, owner_id=owner_id, period=period, start__in=sorted(starts))
    for (metric_id, owner_id), ranges in edges.items():
        for first, last in sorted(ranges):
            wanted |= Q(metric_id=metric_id, owner_id=owner_id, period=periods.DAY, start__gte=first, start__lte=last)
    if not wanted:
        return {w: [] for w in windows}
    rows = map(
        _Stats._make,
        Rollup.objects.filter(wanted, owner_type=Rollup.DEPARTMENT).values_list(*_Stats._fields),
    )
    found: dict[tuple[int, int, str, date], _Stats] = {}
    days: dict[tuple[int, int], list[_Stats]] = defaultdict(list)
    for row in rows:
        found[(row.metric_id, row.owner_id, row.period, row.start)] = row
        if row.period == periods.DAY:
            days[(row.metric_id, row.owner_id)].append(row)
    result = {}
    for window, pieces in cuts.items():
        metric, points = window.metric, []
        for piece in pieces:
            if piece.whole:
                row = found.get((metric.pk, window.owner_id, window.period, piece.bucket))
                value = row.value_for(metric) if row else None
            else:
                value = _combined(
                    metric, [d for d in days[(metric.pk, window.owner_id)] if piece.first <= d.start <= piece.last]
                )
            if value is not None:
                points.append(Point(piece=piece, value=value, complete=piece.complete_on(on)))
        result[window] = points
    return result
