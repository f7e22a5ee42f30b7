"""Goal progress in bulk: from metric rollups, milestones or children, with status against time and a forecast.

A whole cycle is read in a fixed number of queries whatever its size (goals with their milestone sums, the
alignment graph, the metric series); parents are then weighed bottom-up in Python over the fetched graph.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import F, FloatField
from django.db.models.expressions import RawSQL

from core import periods
from goals.models import Alignment, Goal, GoalCycle, KeyResult
from metrics import status as status_rules
from metrics.models import Metric
from metrics.selectors import windows

METRIC, MILESTONES, CHILDREN, FINAL = "metric", "milestones", "children", "final"
SOURCE_LABELS = {
    METRIC: "from the metric",
    MILESTONES: "from milestones",
    CHILDREN: "from supporting goals",
    FINAL: "frozen when the cycle closed",
}
# Points behind the time elapsed that still count as on track, and as at risk.
ON_TRACK_SLACK, AT_RISK_SLACK = 10, 25
# Organization goals (no department) first on every database: PostgreSQL sorts NULL last, SQLite first.
ORGANIZATION_FIRST = F("department__path").asc(nulls_first=True)
# Fewer figures than this make no trend worth extending to the due date.
MIN_FORECAST_POINTS = 3


@dataclass
class Progress:
    """Where a goal stands: percent done (0..100), the share of its time gone, and the one status."""

    percent: float | None = None
    own_percent: float | None = None  # from the goal's own metric or milestones, whatever its children say
    expected: float | None = None
    state: str = status_rules.NO_DATA
    source: str | None = None
    value: float | None = None  # the metric's latest figure
    value_on: date | None = None  # first day of the complete period it comes from (inside the goal's dates)
    value_period: str = periods.WEEK  # the metric's period: week or month
    value_until: date | None = None  # last day of that period inside the goal's dates
    forecast: float | None = None  # the metric's figure at the due date, at the current pace
    forecast_percent: float | None = None

    @property
    def look(self):
        return status_rules.look(self.state)

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source, "no measure yet")

    @property
    def bar(self) -> int:
        """Whole percent for a progress bar's width (and its label): 100 only when the goal is reached."""
        percent = self.percent or 0
        return 100 if percent >= 100 else min(99, round(percent))


def period_of(metric: Metric) -> str:
    """Monthly metrics are followed month by month; everything else week by week."""
    return periods.MONTH if metric.frequency == Metric.Frequency.MONTHLY else periods.WEEK


def measured_department_id(goal: Goal) -> int:
    """Whose figure a goal follows: its department's, or for an organization goal the metric's department
    (whose subtree holds every reading of the metric)."""
    return goal.department_id or goal.metric.department_id


def percent_between(
    value: float | None, baseline: float | None, target: float | None, *, decimals: int | None = None
) -> float | None:
    """How far value has come from baseline to target, clamped to 0..100 (the sign of target - baseline gives
    the direction). The value counts as shown at the metric's `decimals`: one that meets the target as shown
    (metrics.status.meets) is 100 %."""
    if value is None or baseline is None or target is None or target == baseline:
        return None
    if status_rules.meets(value, target, higher_is_better=target > baseline, decimals=decimals):
        return 100.0
    value = status_rules.rounded(value, decimals)
    return max(0.0, min(100.0, (value - baseline) / (target - baseline) * 100))


def expected_share(*, start: date, due: date | None, on: date) -> float | None:
    """Percent of the time from the cycle's start to the due date that has passed on a day."""
    if due is None:
        return None
    if due <= start:
        return 100.0
    return max(0.0, min(100.0, (on - start).days / (due - start).days * 100))


def status_for(percent: float | None, expected: float | None) -> str:
    """On track within 10 points of the time elapsed, at risk within 25, off track beyond."""
    if percent is None:
        return status_rules.NO_DATA
    if expected is None:
        return status_rules.NO_TARGET
    if percent >= 100 or percent >= expected - ON_TRACK_SLACK:
        return status_rules.ON_TRACK
    if percent >= expected - AT_RISK_SLACK:
        return status_rules.AT_RISK
    return status_rules.OFF_TRACK


def linear_forecast(points: list[tuple[float, float]], at: float) -> float | None:
    """Least-squares line through (x, y) points, read at x = at; None with fewer than two distinct x."""
    if len(points) < 2:
        return None
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if not spread:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
    return mean_y + slope * (at - mean_x)


@dataclass
class Graph:
    """The alignments of one cycle: parent -> [(child, weight)] and child -> [(parent, weight)]."""

    children: dict[int, list[tuple[int, float]]] = field(default_factory=lambda: defaultdict(list))
    parents: dict[int, list[tuple[int, float]]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def load(cls, cycle_id: int) -> "Graph":
        """One query."""
        graph = cls()
        rows = Alignment.objects.filter(child__cycle_id=cycle_id).values_list("parent_id", "child_id", "weight")
        for parent, child, weight in rows.order_by("pk"):
            graph.children[parent].append((child, weight))
            graph.parents[child].append((parent, weight))
        return graph

    def _reach(self, start: int, edges) -> set[int]:
        seen, stack = set(), [start]
        while stack:
            for other, _weight in edges.get(stack.pop(), ()):
                if other not in seen and other != start:
                    seen.add(other)
                    stack.append(other)
        return seen

    def descendants(self, goal_id: int) -> set[int]:
        return self._reach(goal_id, self.children)

    def cascade(self, goals: dict[int, Goal], *, visible: set[int] | None = None) -> list[dict]:
        """Rows that draw the cascade as nested disclosures, organization goals first: "open" and "close" around a
        goal with supporting goals, "leaf" for one without, "again" where a goal supporting several parents was
        already drawn under another. Only goals in `visible` (None: all) are drawn. No queries."""

        def shown(pk: int) -> bool:
            return pk in goals and (visible is None or pk in visible)

        def order(pk: int):
            goal = goals[pk]
            return goal.department.path if goal.department_id else "", goal.title.casefold(), pk

        below = {
            pk: sorted({c for c, _w in self.children.get(pk, ()) if shown(c)}, key=order) for pk in goals if shown(pk)
        }
        tops = sorted((pk for pk in below if not any(shown(p) for p, _w in self.parents.get(pk, ()))), key=order)
        rows, drawn = [], set()
        for top in [*tops, *sorted(below, key=order)]:  # the rest only if a circle in bad data hid it
            if top in drawn:
                continue
            stack = [("enter", top, 0)]
            while stack:
                action, pk, depth = stack.pop()
                if action == "exit":
                    rows.append({"kind": "close", "depth": depth})
                    continue
                if pk in drawn:
                    rows.append({"kind": "again", "goal": goals[pk], "depth": depth})
                    continue
                drawn.add(pk)
                children = below[pk]
                kind = "open" if children else "leaf"
                rows.append({"kind": kind, "goal": goals[pk], "depth": depth, "children": len(children)})
                if children:
                    stack.append(("exit", pk, depth))
                    stack.extend(("enter", child, depth + 1) for child in reversed(children))
        return rows

    def ancestors(self, goal_id: int) -> set[int]:
        return self._reach(goal_id, self.parents)


# Raw SQL because the ORM's two Subquery annotations cost a cascade page more to build (a millisecond and more of
# Python, every time) than the database spends running them. Constant text, no input; the outer table is the
# goals' own, which no caller aliases.
MILESTONES_TOTAL_SQL = "SELECT COALESCE(SUM(k.weight), 0.0) FROM goals_keyresult k WHERE k.goal_id = goals_goal.id"
MILESTONES_DONE_SQL = MILESTONES_TOTAL_SQL + " AND k.done_at IS NOT NULL"


def with_milestones(goals):
    """Annotate each goal (a queryset of Goal, not a subquery of one) with the total weight of its key results and
    the weight of those done, 0.0 without any (correlated subqueries, so no GROUP BY over the selected
    relations)."""
    return goals.annotate(
        milestones_total=RawSQL(MILESTONES_TOTAL_SQL, [], output_field=FloatField()),  # noqa: S611 (constant)
        milestones_done=RawSQL(MILESTONES_DONE_SQL, [], output_field=FloatField()),  # noqa: S611 (constant)
    )


def cycle_goals(cycle: GoalCycle):
    """Every goal of a cycle with what the cascade, register and progress need: one query."""
    return with_milestones(
        Goal.objects.filter(cycle=cycle).select_related("department", "owner", "metric", "quality_definition")
    ).order_by(ORGANIZATION_FIRST, "title", "pk")


def load_series(goals: Iterable[Goal], *, cycle: GoalCycle, on: date) -> dict[int, list[tuple[date, float]]]:
    """{goal id: [(first day, value), ...]} of the complete periods inside the goal's own dates: one query.

    Only what lies from the cycle's start to the goal's due date (or the cycle's end) counts: the first and last
    week or month are cut at those dates (see metrics.selectors.windows). A period counts once it is over on `on`,
    so a Monday's first reading does not stand for its whole week. Each goal follows its own department's figure,
    or the metric's department's if its own has none (a team goal on a metric its division records as a whole).
    """
    measured = [g for g in goals if g.metric_id]
    if not measured:
        return {}
    wanted = {}
    for goal in measured:
        last = min(goal.due_date or cycle.end, cycle.end)
        wanted[goal.pk] = [
            windows.Window(
                metric=goal.metric, owner_id=owner, period=period_of(goal.metric), first=cycle.start, last=last
            )
            for owner in dict.fromkeys((measured_department_id(goal), goal.metric.department_id))
        ]
    points = windows.series([w for ws in wanted.values() for w in ws], on=on)
    series = {}
    for goal in measured:
        found = next((points[w] for w in wanted[goal.pk] if points[w]), [])
        series[goal.pk] = [(p.piece.first, p.value) for p in found if p.complete]
    return series


def _own(goal: Goal, points: list[tuple[date, float]], *, cycle: GoalCycle) -> Progress:
    """Progress from the goal's own measure: its metric's latest figure, or its milestones."""
    if goal.metric_id:
        result = Progress(source=METRIC, value_period=period_of(goal.metric))
        if points:
            result.value_on, result.value = points[-1]
            result.value_until = min(
                periods.bucket_end(result.value_on, result.value_period), goal.due_date or cycle.end, cycle.end
            )
            result.percent = percent_between(result.value, goal.baseline, goal.target, decimals=goal.metric.decimals)
        due = goal.due_date or cycle.end
        forecast = (
            linear_forecast([((start - cycle.start).days, value) for start, value in points], (due - cycle.start).days)
            if len(points) >= MIN_FORECAST_POINTS
            else None
        )
        if forecast is not None:
            low, high = goal.metric.min_value, goal.metric.max_value  # a line can run past what is possible
            forecast = max(forecast, low) if low is not None else forecast
            forecast = min(forecast, high) if high is not None else forecast
            result.forecast = forecast
            result.forecast_percent = percent_between(
                forecast, goal.baseline, goal.target, decimals=goal.metric.decimals
            )
        return result
    total = getattr(goal, "milestones_total", None)
    if total:
        return Progress(source=MILESTONES, percent=goal.milestones_done / total * 100)
    return Progress()


def compute(
    goals: Iterable[Goal], *, graph: Graph, cycle: GoalCycle, on: date, series: dict[int, list[tuple[date, float]]]
) -> dict[int, Progress]:
    """{goal id: Progress} for already-fetched goals (annotated by with_milestones); no queries.

    A goal with children weighs their progress by the alignment weights (children without any progress yet are
    left out; if none has any, the goal's own measure counts). A closed cycle's goals show their frozen figure.
    """
    goals = {g.pk: g for g in goals}
    own = {pk: _own(goal, series.get(pk, []), cycle=cycle) for pk, goal in goals.items()}
    percent: dict[int, tuple[float | None, str | None]] = {}
    visiting: set[int] = set()

    def resolve(pk: int) -> tuple[float | None, str | None]:
        if pk in percent:
            return percent[pk]
        goal = goals[pk]
        if cycle.is_closed and goal.final_progress is not None:
            percent[pk] = (goal.final_progress, FINAL)
            return percent[pk]
        visiting.add(pk)  # a circle in bad data must not recurse forever
        weighed = [
            (resolve(child)[0], weight)
            for child, weight in graph.children.get(pk, ())
            if child in goals and child not in visiting
        ]
        visiting.discard(pk)
        weighed = [(p, w) for p, w in weighed if p is not None]
        if weighed:
            percent[pk] = (sum(p * w for p, w in weighed) / sum(w for _p, w in weighed), CHILDREN)
        else:
            percent[pk] = (own[pk].percent, own[pk].source)
        return percent[pk]

    on_day = min(on, cycle.closed_at.date()) if cycle.closed_at else on
    results = {}
    for pk, goal in goals.items():
        result = own[pk]
        result.own_percent = result.percent
        result.percent, result.source = resolve(pk)
        # A metric's figure is judged against the time gone by the end of its last complete period (last week,
        # last month), not against today, which the current period has not reached yet; a figure older than that
        # period is judged late, so a metric nobody records any more does not stay on track.
        judged_on = on_day
        if result.source == METRIC and result.value_period is not None:
            judged_on = min(on_day, periods.bucket_start(on_day, result.value_period))
        result.expected = expected_share(start=cycle.start, due=goal.due_date, on=judged_on)
        result.state = status_for(result.percent, result.expected)
        results[pk] = result
    return results


@dataclass
class CycleProgress:
    """A cycle's goals, their alignment graph and every goal's progress."""

    cycle: GoalCycle
    goals: dict[int, Goal]
    graph: Graph
    series: dict[int, list[tuple[date, float]]]
    progress: dict[int, Progress]


def for_cycle(cycle: GoalCycle, *, on: date | None = None, goals=None) -> CycleProgress:
    """Progress of every goal of a cycle: three queries (goals, alignments, rollups), whatever its size.

    `goals` may narrow the fetched queryset's columns or ordering; it must hold the whole cycle, since a
    parent's progress needs all its descendants.
    """
    on = on or periods.today()
    fetched = list(goals if goals is not None else cycle_goals(cycle))
    graph = Graph.load(cycle.pk)
    series = load_series(fetched, cycle=cycle, on=on)
    progress = compute(fetched, graph=graph, cycle=cycle, on=on, series=series)
    return CycleProgress(cycle=cycle, goals={g.pk: g for g in fetched}, graph=graph, series=series, progress=progress)


def milestones_of(goal_ids: Iterable[int]) -> dict[int, list[tuple[date | None, float]]]:
    """{goal id: [(done_at, weight), ...]} for some goals: one query."""
    found: dict[int, list[tuple[date | None, float]]] = defaultdict(list)
    for goal_id, done_at, weight in KeyResult.objects.filter(goal_id__in=list(goal_ids)).values_list(
        "goal_id", "done_at", "weight"
    ):
        found[goal_id].append((done_at, weight))
    return found


def percent_on(
    goal_id: int, day: date, *, computed: CycleProgress, milestones: dict[int, list[tuple[date | None, float]]]
) -> float | None:
    """Progress a goal had reached by a day, the way compute() weighs it now: its metric's last figure by then,
    its milestones done by then, or its children's progress by then, weighted. No queries."""
    goals, graph = computed.goals, computed.graph

    def own(pk: int) -> float | None:
        goal = goals[pk]
        if goal.metric_id:
            known = [value for start, value in computed.series.get(pk, ()) if start <= day]
            return percent_between(
                known[-1] if known else None, goal.baseline, goal.target, decimals=goal.metric.decimals
            )
        weights = milestones.get(pk, ())
        total = sum(w for _d, w in weights)
        return sum(w for d, w in weights if d and d <= day) / total * 100 if total else None

    def at(pk: int, visiting: frozenset) -> float | None:
        weighed = [
            (at(child, visiting | {pk}), weight)
            for child, weight in graph.children.get(pk, ())
            if child in goals and child not in visiting
        ]
        weighed = [(p, w) for p, w in weighed if p is not None]
        if weighed:
            return sum(p * w for p, w in weighed) / sum(w for _p, w in weighed)
        return own(pk)

    return at(goal_id, frozenset())


def history(
    goal: Goal,
    *,
    computed: CycleProgress,
    milestones: dict[int, list[tuple[date | None, float]]],
    check_ins: Iterable = (),
    on: date | None = None,
) -> dict:
    """The goal page's chart: per bucket from the cycle's start to the due date, the progress reached by the
    bucket's end, the share of time gone, check-in snapshots and (for goals measured by their metric) the
    forecast. `milestones` must cover the goal and its descendants (milestones_of). No queries."""
    on = on or periods.today()
    cycle, result = computed.cycle, computed.progress[goal.pk]
    period = period_of(goal.metric) if goal.metric_id else periods.WEEK
    due = goal.due_date or cycle.end
    starts, start = [], periods.bucket_start(cycle.start, period)
    while start <= due and len(starts) < 600:
        starts.append(start)
        start = periods.shift(start, period, 1)
    current = periods.bucket_start(min(on, due), period)
    snapshots: dict[date, float] = {}
    for check_in in sorted(check_ins, key=lambda c: c.created_at):
        if check_in.progress is not None:
            snapshots[periods.bucket_start(periods.local_day(check_in.created_at), period)] = check_in.progress
    reached, forecast = [], []
    for start in starts:
        end = min(periods.bucket_end(start, period), due)
        value = None
        if start == current and result.percent is not None:
            value = result.percent  # what the page says now, frozen or live
        elif start < current:
            value = percent_on(goal.pk, end, computed=computed, milestones=milestones)
        reached.append(None if value is None else round(value, 1))
        if result.source == METRIC and result.forecast_percent is not None and start >= current:
            span = max((due - current).days, 1)
            share = min(1.0, max(0.0, (end - current).days / span))
            now = result.percent if result.percent is not None else 0
            forecast.append(round(now + (result.forecast_percent - now) * share, 1))
        else:
            forecast.append(None)
    return {
        "labels": [periods.label(s, period) for s in starts],
        "starts": [s.isoformat() for s in starts],
        "progress": reached,
        "expected": [
            round(expected_share(start=cycle.start, due=due, on=min(periods.bucket_end(s, period), due)) or 0, 1)
            for s in starts
        ],
        "checkIns": [snapshots.get(s) for s in starts],
        "forecast": forecast,
    }
