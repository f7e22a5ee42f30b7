"""The S.M.A.R.T. check, letter by letter: one function per letter, used by the goal form, the goal service and
the goal page alike, so a goal is judged the same way everywhere."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import F, FloatField, Max, Min
from django.db.models.functions import NullIf
from django.utils.formats import date_format

from core import periods
from goals.models import Goal
from goals.selectors.progress import period_of
from metrics import status as status_rules
from metrics.models import Metric, Rollup
from metrics.selectors.figures import format_value

PASS, WARN, FAIL = "pass", "warn", "fail"
LETTERS = (("S", "Specific"), ("M", "Measurable"), ("A", "Achievable"), ("R", "Relevant"), ("T", "Time-bound"))
# A target more than this share beyond the best figure the metric ever reached needs the owner's acceptance.
STRETCH_MARGIN = 0.2
# Words that name no outcome: a title or description made only of them ("Be better", "Do better.") is not Specific.
VAGUE_WORDS = frozenset(
    {
        "a",
        "all",
        "an",
        "and",
        "any",
        "as",
        "at",
        "be",
        "become",
        "being",
        "best",
        "better",
        "bigger",
        "by",
        "do",
        "does",
        "doing",
        "done",
        "even",
        "ever",
        "everything",
        "excellence",
        "excellent",
        "faster",
        "for",
        "get",
        "go",
        "good",
        "great",
        "greater",
        "harder",
        "higher",
        "improve",
        "improved",
        "improvement",
        "improving",
        "in",
        "increase",
        "is",
        "it",
        "itself",
        "just",
        "keep",
        "lot",
        "lots",
        "lower",
        "make",
        "more",
        "most",
        "much",
        "next",
        "of",
        "on",
        "our",
        "ours",
        "overall",
        "perform",
        "performance",
        "quality",
        "really",
        "so",
        "some",
        "something",
        "stronger",
        "stuff",
        "success",
        "successful",
        "than",
        "that",
        "the",
        "them",
        "these",
        "things",
        "this",
        "to",
        "up",
        "us",
        "very",
        "we",
        "well",
        "work",
        "working",
    }
)
MIN_OUTCOME_WORDS = 3  # words beyond VAGUE_WORDS a description needs to say what will be different
SPECIFIC_EXAMPLE = "“Customers get a first reply within four hours on every channel.”"


@dataclass(frozen=True)
class LetterLook:
    css: str
    symbol: str
    label: str


LOOKS = {
    PASS: LetterLook("success", "✓", "met"),
    WARN: LetterLook("warning", "!", "needs attention"),
    FAIL: LetterLook("danger", "✗", "not met"),
}


@dataclass(frozen=True)
class Letter:
    """One letter's verdict. `field` is the form field the message belongs to; `blocking` stops a save."""

    letter: str
    name: str
    state: str
    message: str
    field: str | None = None

    @property
    def blocking(self) -> bool:
        return self.state != PASS

    @property
    def look(self) -> LetterLook:
        return LOOKS[self.state]


def _letter(code: str, state: str, message: str, field: str | None = None) -> Letter:
    return Letter(letter=code, name=dict(LETTERS)[code], state=state, message=message, field=field)


def _words(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", text or "").split()).casefold()


def _number(value: float) -> str:
    return f"{value:g}"


def _with_unit(value: float, unit: str) -> str:
    """As the metrics pages write figures: '95%' but '4.5 h'."""
    if not unit:
        return _number(value)
    return f"{_number(value)}{unit}" if unit == "%" else f"{_number(value)} {unit}"


def _day(value) -> str:
    return date_format(value, "j M Y")


def _outcome_words(text: str) -> list[str]:
    """The words of a text that could name an outcome: those that are not VAGUE_WORDS."""
    return [word for word in _words(text).split() if word not in VAGUE_WORDS]


def specific(goal: Goal) -> Letter:
    """A title that names an outcome, and a description of the outcome that is more than the title again and
    more than vague words ("Be better", "Do better." name nothing anyone could check)."""
    if not (goal.title or "").strip():
        return _letter("S", FAIL, "Give the goal a short title that names the outcome.", "title")
    if not (goal.description or "").strip():
        return _letter(
            "S", FAIL, "Describe the outcome: what will be different, for whom, when this is done.", "description"
        )
    if _words(goal.description) == _words(goal.title):
        return _letter(
            "S",
            FAIL,
            "The description only repeats the title; say what will be different, for whom, when this is done.",
            "description",
        )
    if not _outcome_words(goal.title):
        return _letter(
            "S",
            FAIL,
            f"“{goal.title.strip()}” does not say what gets better: name the outcome in the "
            "title, e.g. “Answer customers faster” or “Fewer returns from the web shop”.",
            "title",
        )
    if len(_outcome_words(goal.description)) < MIN_OUTCOME_WORDS:
        return _letter(
            "S",
            FAIL,
            f"“{goal.description.strip()}” is too vague to check: say what will be different, "
            f"for whom and how anyone will see it, e.g. {SPECIFIC_EXAMPLE}",
            "description",
        )
    return _letter("S", PASS, "A titled outcome with a description.")


def measurable(goal: Goal, key_results: Iterable, *, standing: "Standing | None" = None) -> Letter:
    """A metric with a baseline, a target and a consistent direction, or milestone key results. Given where the
    metric stands now, a target it already meets (at its shown precision) is refused: the goal would be done
    the day it is set."""
    key_results = list(key_results)
    if goal.metric_id is None:
        if goal.baseline is not None or goal.target is not None:
            return _letter(
                "M",
                FAIL,
                "Choose the metric the baseline and target are measured on, or clear them and list milestones instead.",
                "metric",
            )
        if not key_results:
            return _letter(
                "M",
                FAIL,
                "Choose a metric with a baseline and a target, or list the milestones (key "
                "results) that show it is done.",
                "metric",
            )
        count = len(key_results)
        return _letter("M", PASS, f"Measured by {count} milestone{'s' if count != 1 else ''}.")
    missing = [
        name
        for name, value in (("baseline", goal.baseline), ("target", goal.target), ("direction", goal.direction))
        if value in (None, "")
    ]
    if missing:
        words = {
            "baseline": "the baseline (where the metric stands now)",
            "target": "the target",
            "direction": "whether it should increase or decrease",
        }
        return _letter("M", FAIL, f"With a metric, give {_join([words[m] for m in missing])}.", missing[0])
    increase = goal.direction == Goal.Direction.INCREASE
    if standing is not None and status_rules.meets(
        standing.value, goal.target, higher_is_better=increase, decimals=goal.metric.decimals
    ):
        return _letter(
            "M",
            FAIL,
            f"{goal.metric.name} already stands at {standing.display} ({standing.when}), "
            f"which meets a target of {format_value(goal.metric, goal.target)} to "
            f"{'increase' if increase else 'decrease'}: the goal would be done the day it is "
            f"set. Choose a target {'above' if increase else 'below'} {standing.display}.",
            "target",
        )
    if goal.target == goal.baseline:
        return _letter("M", FAIL, f"Target must differ from the baseline (both are {_number(goal.target)}).", "target")
    if goal.direction == Goal.Direction.INCREASE and goal.target < goal.baseline:
        return _letter(
            "M",
            FAIL,
            f"To increase, the target must be above the baseline ({_number(goal.baseline)}); "
            "for a lower target choose “Decrease to the target”.",
            "direction",
        )
    if goal.direction == Goal.Direction.DECREASE and goal.target > goal.baseline:
        return _letter(
            "M",
            FAIL,
            f"To decrease, the target must be below the baseline ({_number(goal.baseline)}); "
            "for a higher target choose “Increase to the target”.",
            "direction",
        )
    return _letter("M", PASS, f"{goal.metric.name} from {_number(goal.baseline)} to {_number(goal.target)}.")


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _bucket_value(metric: Metric):
    """SQL for a rollup bucket's figure under the metric's aggregation (mirrors metrics.models.aggregate_value)."""
    aggregation = metric.aggregation
    if aggregation == Metric.Aggregation.SUM:
        return F("total")
    if aggregation == Metric.Aggregation.MIN:
        return F("minimum")
    if aggregation == Metric.Aggregation.MAX:
        return F("maximum")
    if aggregation == Metric.Aggregation.LAST:
        return F("last_value")
    if aggregation == Metric.Aggregation.RATIO:
        return F("total") / NullIf(F("denominator"), 0.0) * metric.ratio_scale
    return F("total") / F("n")


@dataclass(frozen=True)
class Standing:
    """Where a metric stands now for a goal: its newest figure, and the bucket it comes from."""

    metric: Metric
    value: float
    start: date
    period: str

    @property
    def display(self) -> str:
        return format_value(self.metric, self.value)

    @property
    def when(self) -> str:
        return f"{periods.label(self.start, self.period)}"


def current_standing(metric: Metric, *, department_id: int | None) -> Standing | None:
    """The metric's figure of its last complete period, read as goal progress reads it: from the rollups of the goal's
    department, or of the metric's department when that has none (an organization goal, or a team goal on a
    figure its division records). One query, two when the goal's department has no figure."""
    period = period_of(metric)
    for owner in dict.fromkeys(o for o in (department_id, metric.department_id) if o):
        row = (
            Rollup.objects.filter(
                metric=metric,
                owner_type=Rollup.DEPARTMENT,
                owner_id=owner,
                period=period,
                start__lte=periods.last_complete(period),
                n__gt=0,
            )
            .order_by("-start")
            .first()
        )
        value = row.value_for(metric) if row is not None else None
        if value is not None:
            return Standing(metric=metric, value=value, start=row.start, period=period)
    return None


def default_baseline(metric: Metric, *, department_id: int | None) -> float | None:
    """A goal's baseline when none is given: where the metric stands now, as shown (None without a figure)."""
    standing = current_standing(metric, department_id=department_id)
    return None if standing is None else status_rules.rounded(standing.value, metric.decimals)


def best_reached(metric: Metric, direction: str) -> float | None:
    """The best figure the metric's department ever reached in one bucket (highest to increase, lowest to
    decrease): one aggregate query over its rollups."""
    best = Max if direction == Goal.Direction.INCREASE else Min
    return Rollup.objects.filter(
        metric=metric,
        owner_type=Rollup.DEPARTMENT,
        owner_id=metric.department_id,
        period=period_of(metric),
    ).aggregate(best=best(_bucket_value(metric), output_field=FloatField()))["best"]


def stretch_beyond(goal: Goal, best: float | None) -> bool:
    """True when the target lies more than STRETCH_MARGIN beyond the best figure ever reached."""
    if best is None or goal.target is None or goal.direction not in Goal.Direction.values:
        return False
    margin = STRETCH_MARGIN * abs(best)
    if goal.direction == Goal.Direction.INCREASE:
        return goal.target > best + margin
    return goal.target < best - margin


def achievable(goal: Goal, *, best: float | None = None) -> Letter:
    """An owner and a confidence level; a target far beyond history needs the owner's explicit acceptance."""
    missing = []
    if goal.owner_id is None:
        missing.append(("owner", "name an owner"))
    if goal.confidence is None:
        missing.append(("confidence", "set a confidence level from 1 (unlikely) to 10 (sure)"))
    if missing:
        text = _join([m[1] for m in missing])
        return _letter("A", FAIL, text[0].upper() + text[1:] + ".", missing[0][0])
    if stretch_beyond(goal, best):
        unit = goal.metric.unit if goal.metric_id else ""
        history = f"the best {goal.metric.name} ever reached is {_with_unit(best, unit)}"
        if goal.stretch_acknowledged:
            return _letter("A", PASS, f"Stretch target accepted: {history}.")
        return _letter(
            "A",
            WARN,
            f"A target of {_with_unit(goal.target, unit)} is far beyond anything so far "
            f"({history}). Tick “I accept this stretch target” to keep it, or choose a "
            "nearer target.",
            "stretch_acknowledged",
        )
    return _letter("A", PASS, f"Owned by {goal.owner.display_name}, confidence {goal.confidence}/10.")


def relevant(goal: Goal, *, parents: Iterable[Goal], descendant_ids: Iterable[int] = ()) -> Letter:
    """Aligned to at least one parent of the same cycle, organization-wide or from a department above, and never
    to one of its own supporters."""
    parents = list(parents)
    serves = f" Serves “{goal.quality_definition}”." if goal.quality_definition_id else ""
    if goal.department_id is None:
        if parents:
            return _letter(
                "R", FAIL, "An organization goal is the top of the cascade; it supports no other goal.", "parents"
            )
        return _letter("R", PASS, "Organization goal: departmental goals align to it." + serves)
    descendant_ids = set(descendant_ids)
    above = set(goal.department.ancestor_ids)
    for parent in parents:
        if parent.pk and parent.pk == goal.pk:
            return _letter("R", FAIL, "A goal cannot support itself.", "parents")
        if parent.cycle_id != goal.cycle_id:
            return _letter(
                "R", FAIL, f"“{parent}” belongs to cycle {parent.cycle}; choose parents from {goal.cycle}.", "parents"
            )
        if parent.pk in descendant_ids:
            return _letter(
                "R",
                FAIL,
                f"“{parent}” already supports this goal, so this goal cannot support it: that would make a circle.",
                "parents",
            )
        if parent.department_id is not None and parent.department_id not in above:
            return _letter(
                "R",
                FAIL,
                f"“{parent}” belongs to {parent.department}, which is not above "
                f"{goal.department}; choose an organization goal or a goal of a department "
                "above.",
                "parents",
            )
    if not parents:
        return _letter(
            "R",
            FAIL,
            f"Align it with at least one organization goal or a goal of a department above {goal.department}.",
            "parents",
        )
    return _letter("R", PASS, "Supports " + _join([f"“{p}”" for p in parents]) + "." + serves)


def time_bound(goal: Goal) -> Letter:
    """A due date inside the goal's cycle."""
    cycle = goal.cycle
    window = f"{_day(cycle.start)} to {_day(cycle.end)}"
    if goal.due_date is None:
        return _letter("T", FAIL, f"Set a due date within {cycle} ({window}).", "due_date")
    if not cycle.start <= goal.due_date <= cycle.end:
        return _letter("T", FAIL, f"The due date must fall within {cycle}: {window}.", "due_date")
    return _letter("T", PASS, f"Due {_day(goal.due_date)}.")


def check_goal(
    goal: Goal,
    *,
    parents: Iterable[Goal],
    key_results: Iterable,
    descendant_ids: Iterable[int] = (),
    new_target: bool | None = None,
) -> list[Letter]:
    """The five letters for a goal (saved or not), in order. One query when the goal has a metric, a target and
    a direction (the best figure ever reached), and one or two more for a new target (where the metric stands);
    none otherwise.

    new_target: whether the target is being set now (a new goal, or a changed metric, target or direction),
    and so must not be met already; None means "a new goal". A saved goal that reached its target keeps its
    letters: being done is its success, not a fault.
    """
    best = standing = None
    if goal.metric_id and goal.target is not None and goal.direction in Goal.Direction.values:
        best = best_reached(goal.metric, goal.direction)
        if goal.pk is None if new_target is None else new_target:
            standing = current_standing(goal.metric, department_id=goal.department_id)
    return [
        specific(goal),
        measurable(goal, key_results, standing=standing),
        achievable(goal, best=best),
        relevant(goal, parents=parents, descendant_ids=descendant_ids),
        time_bound(goal),
    ]
