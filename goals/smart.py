"""The S.M.A.R.T. check, letter by letter: one function per letter, used by the goal form, the goal service and
the goal page alike, so a goal is judged the same way everywhere."""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, FloatField, Max, Min
from django.db.models.functions import NullIf
from django.utils.formats import date_format

from goals.models import Goal
from goals.selectors.progress import period_of
from metrics.models import Metric, Rollup

PASS, WARN, FAIL = "pass", "warn", "fail"
LETTERS = (("S", "Specific"), ("M", "Measurable"), ("A", "Achievable"), ("R", "Relevant"), ("T", "Time-bound"))
# A target more than this share beyond the best figure the metric ever reached needs the owner's acceptance.
STRETCH_MARGIN = 0.2


@dataclass(frozen=True)
class LetterLook:
    css: str
    symbol: str
    label: str


LOOKS = {PASS: LetterLook("success", "✓", "met"), WARN: LetterLook("warning", "!", "needs attention"),
         FAIL: LetterLook("danger", "✗", "not met")}


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


def specific(goal: Goal) -> Letter:
    """A title, and a description of the outcome that is more than the title again."""
    if not (goal.title or "").strip():
        return _letter("S", FAIL, "Give the goal a short title that names the outcome.", "title")
    if not (goal.description or "").strip():
        return _letter("S", FAIL, "Describe the outcome: what will be different, for whom, when this is done.",
                       "description")
    if _words(goal.description) == _words(goal.title):
        return _letter("S", FAIL, "The description only repeats the title; say what will be different, for whom, "
                                  "when this is done.", "description")
    return _letter("S", PASS, "A titled outcome with a description.")


def measurable(goal: Goal, key_results: Iterable) -> Letter:
    """A metric with a baseline, a target and a consistent direction, or milestone key results."""
    key_results = list(key_results)
    if goal.metric_id is None:
        if goal.baseline is not None or goal.target is not None:
            return _letter("M", FAIL, "Choose the metric the baseline and target are measured on, or clear them and "
                                      "list milestones instead.", "metric")
        if not key_results:
            return _letter("M", FAIL, "Choose a metric with a baseline and a target, or list the milestones (key "
                                      "results) that show it is done.", "metric")
        count = len(key_results)
        return _letter("M", PASS, f"Measured by {count} milestone{'s' if count != 1 else ''}.")
    missing = [name for name, value in (("baseline", goal.baseline), ("target", goal.target),
                                        ("direction", goal.direction)) if value in (None, "")]
    if missing:
        words = {"baseline": "the baseline (where the metric stands now)", "target": "the target",
                 "direction": "whether it should increase or decrease"}
        return _letter("M", FAIL, f"With a metric, give {_join([words[m] for m in missing])}.", missing[0])
    if goal.target == goal.baseline:
        return _letter("M", FAIL, f"Target must differ from the baseline (both are {_number(goal.target)}).",
                       "target")
    if goal.direction == Goal.Direction.INCREASE and goal.target < goal.baseline:
        return _letter("M", FAIL, f"To increase, the target must be above the baseline ({_number(goal.baseline)}); "
                                  "for a lower target choose “Decrease to the target”.", "direction")
    if goal.direction == Goal.Direction.DECREASE and goal.target > goal.baseline:
        return _letter("M", FAIL, f"To decrease, the target must be below the baseline ({_number(goal.baseline)}); "
                                  "for a higher target choose “Increase to the target”.", "direction")
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


def best_reached(metric: Metric, direction: str) -> float | None:
    """The best figure the metric's department ever reached in one bucket (highest to increase, lowest to
    decrease): one aggregate query over its rollups."""
    best = Max if direction == Goal.Direction.INCREASE else Min
    return Rollup.objects.filter(
        metric=metric, owner_type=Rollup.DEPARTMENT, owner_id=metric.department_id, period=period_of(metric),
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
        return _letter("A", WARN, f"A target of {_with_unit(goal.target, unit)} is far beyond anything so far "
                                  f"({history}). Tick “I accept this stretch target” to keep it, or choose a "
                                  "nearer target.",
                       "stretch_acknowledged")
    return _letter("A", PASS, f"Owned by {goal.owner.display_name}, confidence {goal.confidence}/10.")


def relevant(goal: Goal, *, parents: Iterable[Goal], descendant_ids: Iterable[int] = ()) -> Letter:
    """Aligned to at least one parent of the same cycle, organization-wide or from a department above, and never
    to one of its own supporters."""
    parents = list(parents)
    serves = f" Serves “{goal.quality_definition}”." if goal.quality_definition_id else ""
    if goal.department_id is None:
        if parents:
            return _letter("R", FAIL, "An organization goal is the top of the cascade; it supports no other goal.",
                           "parents")
        return _letter("R", PASS, "Organization goal: departmental goals align to it." + serves)
    descendant_ids = set(descendant_ids)
    above = set(goal.department.ancestor_ids)
    for parent in parents:
        if parent.pk and parent.pk == goal.pk:
            return _letter("R", FAIL, "A goal cannot support itself.", "parents")
        if parent.cycle_id != goal.cycle_id:
            return _letter("R", FAIL, f"“{parent}” belongs to cycle {parent.cycle}; choose parents from "
                                      f"{goal.cycle}.", "parents")
        if parent.pk in descendant_ids:
            return _letter("R", FAIL, f"“{parent}” already supports this goal, so this goal cannot support it: "
                                      "that would make a circle.", "parents")
        if parent.department_id is not None and parent.department_id not in above:
            return _letter("R", FAIL, f"“{parent}” belongs to {parent.department}, which is not above "
                                      f"{goal.department}; choose an organization goal or a goal of a department "
                                      "above.", "parents")
    if not parents:
        return _letter("R", FAIL, f"Align it with at least one organization goal or a goal of a department above "
                                  f"{goal.department}.", "parents")
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


def check_goal(goal: Goal, *, parents: Iterable[Goal], key_results: Iterable,
               descendant_ids: Iterable[int] = ()) -> list[Letter]:
    """The five letters for a goal (saved or not), in order. One query when the goal has a metric, a target and
    a direction (the best figure ever reached); none otherwise."""
    best = None
    if goal.metric_id and goal.target is not None and goal.direction in Goal.Direction.values:
        best = best_reached(goal.metric, goal.direction)
    return [specific(goal), measurable(goal, key_results), achievable(goal, best=best),
            relevant(goal, parents=parents, descendant_ids=descendant_ids), time_bound(goal)]
