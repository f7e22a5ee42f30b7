"""Figures inside a window of days (a goal's cycle): whole buckets from their rollups, edge buckets from days.

A cycle that starts on a Wednesday, or a goal due mid-week, cuts the first and last week (or month): the week's
rollup would mix in days outside the window, so those pieces are rebuilt from the day rollups inside it.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from django.db import connection

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


# The ranges as a list of rows joined to the rollups: one plan whatever their number, where an OR of a
# condition per range cost the ORM milliseconds to build and the planner as much to read (a large cycle's cascade
# asks for hundreds). Raw SQL because the ORM cannot join a list of values.
RANGES_SQL = """
WITH wanted (metric_id, owner_id, period, first_start, last_start) AS (VALUES {values})
SELECT r.metric_id, r.owner_id, r.period, r.start, r.n, r.total, r.minimum, r.maximum, r.last_value, r.denominator
FROM metrics_rollup r
JOIN wanted w ON r.metric_id = w.metric_id AND r.owner_type = %s AND r.owner_id = w.owner_id
     AND r.period = w.period AND r.start BETWEEN w.first_start AND w.last_start
"""


def _rollups_in(ranges: list[tuple[int, int, str, date, date]]) -> list[tuple]:
    """Department rollups whose (metric, owner, period) is a range's and whose start lies in it: one query."""
    # PostgreSQL reads a VALUES list's column types from its first row: say them there (not on SQLite, where a
    # CAST to date is numeric and keeps only the year)
    first = "(%s, %s, %s, %s, %s)"
    if connection.vendor == "postgresql":
        first = "(%s::bigint, %s::bigint, %s::varchar(5), %s::date, %s::date)"
    values = ", ".join([first] + ["(%s, %s, %s, %s, %s)"] * (len(ranges) - 1))
    params = [value for row in ranges for value in row]
    with connection.cursor() as cursor:
        cursor.execute(RANGES_SQL.format(values=values), [*params, Rollup.DEPARTMENT])
        return cursor.fetchall()


def series(windows: Iterable[Window], *, on: date) -> dict[Window, list[Point]]:
    """{window: [Point, ...]} oldest first, only pieces with a figure: one query for every window.

    Every day of a window counts in exactly one piece and no day outside it counts; a piece is complete once its
    last day is over on `on` (pieces after `on` are left out).
    """
    windows = list(dict.fromkeys(windows))
    # A cycle's goals mostly share their dates: each distinct window of days is cut once (pieces are immutable).
    shared: dict[tuple[date, date, str], list[periods.Piece]] = {}
    cuts = {}
    for w in windows:
        days_of = (w.first, min(w.last, on), w.period)
        if days_of not in shared:
            shared[days_of] = periods.cut(*days_of)
        cuts[w] = shared[days_of]
    # Per window, its whole pieces are consecutive buckets and its edge pieces runs of days: each is one range of
    # bucket starts (metric, owner, period, first start, last start), and exactly the wanted rollups lie in them.
    ranges: set[tuple[int, int, str, date, date]] = set()
    for window, pieces in cuts.items():
        whole = [piece.bucket for piece in pieces if piece.whole]
        if whole:
            ranges.add((window.metric.pk, window.owner_id, window.period, whole[0], whole[-1]))
        for piece in pieces:
            if not piece.whole:
                ranges.add((window.metric.pk, window.owner_id, periods.DAY, piece.first, piece.last))
    if not ranges:
        return {w: [] for w in windows}
    found: dict[tuple[int, int, str, date], _Stats] = {}
    days: dict[tuple[int, int], list[_Stats]] = defaultdict(list)
    for row in map(_Stats._make, _rollups_in(sorted(ranges))):
        key = (row.metric_id, row.owner_id, row.period, row.start)
        if key in found:  # ranges of two windows may overlap
            continue
        found[key] = row
        if row.period == periods.DAY:
            days[(row.metric_id, row.owner_id)].append(row)
    result = {}
    for window, pieces in cuts.items():
        metric, points = window.metric, []
        series_of = (metric.pk, window.owner_id)  # looked up once: a cycle's window has dozens of pieces
        for piece in pieces:
            if piece.whole:
                row = found.get((*series_of, window.period, piece.bucket))
                value = row.value_for(metric) if row else None
            else:
                value = _combined(metric, [d for d in days[series_of] if piece.first <= d.start <= piece.last])
            if value is not None:
                points.append(Point(piece=piece, value=value, complete=piece.complete_on(on)))
        result[window] = points
    return result
