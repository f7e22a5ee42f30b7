"""Writes on goals: setting and editing them (with the audit trail), check-ins, closing a cycle, carrying over.

Every service is keyword-only and atomic, checks who may do it (through org.access) and the S.M.A.R.T. letters,
and raises core.exceptions.RuleViolation with a message a person can act on.
"""

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from core import dates, periods
from core.exceptions import RuleViolation
from goals import smart
from goals.models import Alignment, CheckIn, Goal, GoalChange, GoalCycle, KeyResult, QualityDefinition
from goals.selectors import progress
from metrics.models import Metric
from org import access
from org.models import Department, User

EDITABLE = (
    "title",
    "description",
    "owner",
    "confidence",
    "metric",
    "baseline",
    "target",
    "direction",
    "due_date",
    "quality_definition",
    "stretch_acknowledged",
)


@dataclass
class KeyResultData:
    title: str
    weight: float = 1.0
    done_at: date | None = None
    pk: int | None = None


@dataclass
class GoalData:
    """What a person decides about a goal; parents are (goal, weight) pairs."""

    title: str = ""
    description: str = ""
    owner: User | None = None
    confidence: int | None = None
    metric: Metric | None = None
    baseline: float | None = None
    target: float | None = None
    direction: str = ""
    due_date: date | None = None
    quality_definition: QualityDefinition | None = None
    stretch_acknowledged: bool = False
    parents: list[tuple[Goal, float]] = field(default_factory=list)
    key_results: list[KeyResultData] = field(default_factory=list)


# Who may do what with a goal: built on org.access, asked by views, templates and the services below.


def may_set_goals_for(user, department: Department | None) -> bool:
    """Admins set organization goals (department None) and any department's; managers their departments'."""
    if department is None:
        return access.is_admin(user)
    return access.can_manage(user, department)


def may_edit(user, goal: Goal) -> bool:
    """Managers edit their departments' goals while the cycle is open; admins always (with a reason once closed)."""
    if access.is_admin(user):
        return True
    return not goal.cycle.is_closed and goal.department_id is not None and access.can_manage(user, goal.department)


def may_check_in(user, goal: Goal) -> bool:
    """The owner, or whoever may set the goal's department's goals, while the cycle is open."""
    if goal.cycle.is_closed or not user.is_authenticated:
        return False
    return goal.owner_id == user.pk or may_set_goals_for(user, goal.department)


def _shown(value):
    """A field's value as the audit trail keeps it: JSON, readable without the rows it pointed to."""
    if isinstance(value, Model):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _parents_shown(pairs) -> list[str]:
    return sorted(f"{parent.title} (weight {weight:g})" for parent, weight in pairs)


def _key_results_shown(items) -> list[str]:
    return [
        f"{kr.title} (weight {kr.weight:g}" + (f", done {kr.done_at.isoformat()})" if kr.done_at else ")")
        for kr in items
    ]


def with_default_baseline(data: GoalData, *, department: Department | None) -> GoalData:
    """The goal's data with its baseline, when it has a metric but no baseline, set to where the metric stands
    now for the department (smart.default_baseline), so progress starts from today's figure."""
    if data.metric is not None and data.baseline is None:
        data.baseline = smart.default_baseline(data.metric, department_id=department.pk if department else None)
    return data


def target_is_new(before: Goal | None, data: GoalData) -> bool:
    """Whether the data sets a target (a new goal, or another metric, target or direction): only then must the
    metric not meet it already."""
    if before is None:
        return True
    return (
        before.metric_id != (data.metric.pk if data.metric else None)
        or before.target != data.target
        or (before.direction or "") != (data.direction or "")
    )


def _validate(goal: Goal, data: GoalData, *, descendant_ids=(), new_target: bool = True) -> None:
    """The S.M.A.R.T. letters, the weights and the model's own rules; the first failure is raised."""
    for parent, weight in data.parents:
        if weight is None or weight <= 0:
            raise RuleViolation(f"Give “{parent}” a weight above 0 (1 counts like every other goal).", field="parents")
    for kr in data.key_results:
        if not kr.title.strip() or kr.weight is None or kr.weight <= 0:
            raise RuleViolation("Every milestone needs a title and a weight above 0.", field="key_results")
    letters = smart.check_goal(
        goal,
        parents=[p for p, _w in data.parents],
        key_results=data.key_results,
        descendant_ids=descendant_ids,
        new_target=new_target,
    )
    for letter in letters:
        if letter.blocking:
            raise RuleViolation(f"{letter.name}: {letter.message}", field=letter.field)
    try:  # only what the person decides: created_by may be empty on old goals whose author has left
        goal.full_clean(exclude=[f.name for f in Goal._meta.get_fields() if f.name not in EDITABLE])
    except ValidationError as error:
        name, messages = next(iter(error.message_dict.items()))
        raise RuleViolation(messages[0], field=None if name == "__all__" else name) from None


def _apply(goal: Goal, data: GoalData) -> None:
    for name in EDITABLE:
        setattr(goal, name, getattr(data, name))
    if goal.direction is None:
        goal.direction = ""


@transaction.atomic
def create_goal(*, by: User, cycle: GoalCycle, department: Department | None, data: GoalData) -> Goal:
    """Set a goal for the organization (department None, admins) or a department (its managers).

    Writes the goal, its alignments and key results, and a first audit entry; raises RuleViolation when the
    person may not, the cycle is closed, or a S.M.A.R.T. letter fails (among them a target the metric already
    meets). A goal on a metric without a baseline starts from where the metric stands now.
    """
    if not may_set_goals_for(by, department):
        raise RuleViolation(
            "Only admins set organization goals."
            if department is None
            else f"You may set goals only for departments you manage, and not for {department}."
        )
    if cycle.is_closed:
        raise RuleViolation(f"Cycle {cycle} is closed; set new goals in an open cycle.")
    goal = Goal(cycle=cycle, department=department, created_by=by)
    data = with_default_baseline(data, department=department)
    _apply(goal, data)
    _validate(goal, data)
    goal.save()
    Alignment.objects.bulk_create([Alignment(parent=p, child=goal, weight=w) for p, w in data.parents])
    KeyResult.objects.bulk_create(
        [KeyResult(goal=goal, title=kr.title, weight=kr.weight, done_at=kr.done_at) for kr in data.key_results]
    )
    created = {
        name: [None, _shown(getattr(goal, name))] for name in EDITABLE if getattr(goal, name) not in (None, "", False)
    }
    if data.parents:
        created["parents"] = [None, _parents_shown(data.parents)]
    if data.key_results:
        created["key_results"] = [None, _key_results_shown(data.key_results)]
    GoalChange.objects.create(goal=goal, changed_by=by, changes=created, reason="Goal set")
    return goal


@transaction.atomic
def update_goal(*, goal: Goal, by: User, data: GoalData, reason: str = "") -> Goal:
    """Change a goal, its alignments (with weights) and its key results, recording {field: [before, after]}.

    Once the cycle is closed only an admin may, and only with a reason. Raises RuleViolation.
    """
    current = (
        Goal.objects.select_for_update(of=("self",))  # not the nullable joined rows (PostgreSQL refuses)
        .select_related("cycle", "department", "owner", "metric", "quality_definition")
        .get(pk=goal.pk)
    )
    if not may_edit(by, current):
        raise RuleViolation(
            "Only the managers of this goal's department may change it."
            if not current.cycle.is_closed
            else f"Cycle {current.cycle} is closed; only an admin may change its goals."
        )
    reason = (reason or "").strip()
    if current.cycle.is_closed and not reason:
        raise RuleViolation(
            f"Cycle {current.cycle} is closed: say why this goal must change after all.", field="reason"
        )
    alignments = {a.parent_id: a for a in Alignment.objects.filter(child=current).select_related("parent")}
    key_results = {kr.pk: kr for kr in KeyResult.objects.filter(goal=current)}
    before = {name: _shown(getattr(current, name)) for name in EDITABLE}
    before["parents"] = _parents_shown((a.parent, a.weight) for a in alignments.values())
    before["key_results"] = _key_results_shown(key_results.values())

    data = with_default_baseline(data, department=current.department)
    new_target = target_is_new(current, data)
    _apply(current, data)
    _validate(
        current,
        data,
        descendant_ids=progress.Graph.load(current.cycle_id).descendants(current.pk),
        new_target=new_target,
    )
    current.save()

    wanted = {parent.pk: (parent, weight) for parent, weight in data.parents}
    Alignment.objects.filter(child=current).exclude(parent_id__in=wanted).delete()
    for parent_id, (parent, weight) in wanted.items():
        existing = alignments.get(parent_id)
        if existing is None:
            Alignment.objects.create(parent=parent, child=current, weight=weight)
        elif existing.weight != weight:
            existing.weight = weight
            existing.save(update_fields=["weight"])
    kept = {kr.pk for kr in data.key_results if kr.pk in key_results}
    KeyResult.objects.filter(goal=current).exclude(pk__in=kept).delete()
    saved = []
    for kr in data.key_results:
        row = key_results.get(kr.pk) if kr.pk in kept else KeyResult(goal=current)
        row.title, row.weight, row.done_at = kr.title, kr.weight, kr.done_at
        row.save()
        saved.append(row)

    after = {name: _shown(getattr(current, name)) for name in EDITABLE}
    after["parents"] = _parents_shown(data.parents)
    after["key_results"] = _key_results_shown(saved)
    changes = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
    if changes:
        GoalChange.objects.create(goal=current, changed_by=by, changes=changes, reason=reason)
    return current


def post_check_in(*, goal: Goal, by: User, note: str, confidence: int, blockers: str = "") -> CheckIn:
    """The owner (or a manager of the goal's department) says how it is going; progress is snapshotted.

    Raises RuleViolation when the person may not, the cycle is closed, or the note or confidence is missing.
    """
    if goal.cycle.is_closed:
        raise RuleViolation(f"Cycle {goal.cycle} is closed; its goals take no more check-ins.")
    if not may_check_in(by, goal):
        raise RuleViolation("Only the goal's owner or a manager of its department may check in.")
    if not (note or "").strip():
        raise RuleViolation("Say what moved since the last check-in.", field="note")
    if confidence is None or not 1 <= confidence <= 10:
        raise RuleViolation("Confidence runs from 1 (unlikely) to 10 (sure).", field="confidence")
    snapshot = progress.for_cycle(goal.cycle).progress[goal.pk].percent
    return CheckIn.objects.create(
        goal=goal,
        author=by,
        note=note.strip(),
        confidence=confidence,
        blockers=(blockers or "").strip(),
        progress=None if snapshot is None else round(snapshot, 1),
    )


@transaction.atomic
def create_cycle(*, by: User, name: str, start: date, end: date) -> GoalCycle:
    """A new goal cycle (admins). Raises RuleViolation for a taken name or an end not after the start."""
    if not access.is_admin(by):
        raise RuleViolation("Only admins open goal cycles.")
    cycle = GoalCycle(name=(name or "").strip(), start=start, end=end)
    dates.check(start, field="start")
    dates.check(end, field="end")
    if start and end and end <= start:
        raise RuleViolation(f"The cycle must end after it starts ({start:%d %b %Y}).", field="end")
    try:
        cycle.full_clean()
        with transaction.atomic():
            cycle.save()
    except ValidationError as error:
        name_, messages = next(iter(error.message_dict.items()))
        raise RuleViolation(messages[0], field=None if name_ == "__all__" else name_) from None
    except IntegrityError:
        raise RuleViolation(f"A cycle called {cycle.name} already exists.", field="name") from None
    return cycle


@transaction.atomic
def close_cycle(*, cycle: GoalCycle, by: User, on: date | None = None) -> int:
    """Freeze a cycle (admins): every goal's final progress is recorded in bulk and edits stop.

    Idempotent: closing a closed cycle changes nothing and returns 0; otherwise the number of goals frozen.
    """
    if not access.is_admin(by):
        raise RuleViolation("Only admins close goal cycles.")
    open_cycle = GoalCycle.objects.get(pk=cycle.pk)
    if open_cycle.is_closed:
        return 0
    computed = progress.for_cycle(open_cycle, on=on or periods.today())
    now = timezone.now()
    # Claim: only the run whose conditional UPDATE changed the row goes on (two admins clicking at once).
    if not GoalCycle.objects.filter(pk=cycle.pk, closed_at__isnull=True).update(closed_at=now, closed_by=by):
        return 0
    frozen = []
    for pk, goal in computed.goals.items():
        percent = computed.progress[pk].percent
        goal.final_progress = None if percent is None else round(percent, 1)
        frozen.append(goal)
    Goal.objects.bulk_update(frozen, ["final_progress"], batch_size=500)
    cycle.closed_at, cycle.closed_by = now, by
    return len(frozen)


def _shifted_due(goal: Goal, to_cycle: GoalCycle) -> date:
    """The due date at the same place in the other cycle: the cycle's last day stays its last day, 30 June stays
    30 June (a leap year must not make it 29 June)."""
    if goal.due_date is None:
        return to_cycle.end
    return periods.map_date(
        goal.due_date, source=(goal.cycle.start, goal.cycle.end), target=(to_cycle.start, to_cycle.end)
    )


@transaction.atomic
def carry_over(*, goals, to_cycle: GoalCycle, by: User) -> list[Goal]:
    """Copy goals into another (open) cycle: same outcome, owner and measure, due date moved along, progress
    reset (no final figure, milestones not done). Copies are re-aligned to the copies of their parents where
    those exist, and copies carried earlier are aligned to new copies of their parents. A goal already carried
    into the cycle is not copied twice. Returns the new copies."""
    if to_cycle.is_closed:
        raise RuleViolation(f"Cycle {to_cycle} is closed; carry goals into an open cycle.", field="to_cycle")
    originals = list(
        Goal.objects.filter(pk__in=[g.pk for g in goals])
        .select_related("cycle", "department")
        .prefetch_related("key_results")
    )
    for goal in originals:
        if goal.cycle_id == to_cycle.pk:
            raise RuleViolation(f"“{goal}” is already in {to_cycle}.", field="to_cycle")
        if not may_set_goals_for(by, goal.department):
            raise RuleViolation(f"You may not carry over “{goal}”: it belongs to a department you do not manage.")
    copies = dict(Goal.objects.filter(cycle=to_cycle, carried_from__isnull=False).values_list("carried_from_id", "pk"))
    new = []
    for goal in originals:
        if goal.pk in copies:
            continue
        new.append(
            Goal(
                cycle=to_cycle,
                department=goal.department,
                title=goal.title,
                description=goal.description,
                owner_id=goal.owner_id,
                confidence=goal.confidence,
                metric_id=goal.metric_id,
                baseline=goal.baseline,
                target=goal.target,
                direction=goal.direction,
                due_date=_shifted_due(goal, to_cycle),
                quality_definition_id=goal.quality_definition_id,
                stretch_acknowledged=goal.stretch_acknowledged,
                carried_from=goal,
                created_by=by,
            )
        )
    Goal.objects.bulk_create(new)
    if not new:
        return []
    copies.update({copy.carried_from_id: copy.pk for copy in new})
    by_original = {g.pk: g for g in originals}
    KeyResult.objects.bulk_create(
        [
            KeyResult(goal=copy, title=kr.title, weight=kr.weight)
            for copy in new
            for kr in by_original[copy.carried_from_id].key_results.all()
        ]
    )
    new_ids = {copy.carried_from_id for copy in new}
    links = Alignment.objects.filter(child_id__in=list(copies)).values_list("parent_id", "child_id", "weight")
    Alignment.objects.bulk_create(
        [
            Alignment(parent_id=copies[parent], child_id=copies[child], weight=weight)
            for parent, child, weight in links
            if parent in copies and (parent in new_ids or child in new_ids)
        ],
        ignore_conflicts=True,
    )
    GoalChange.objects.bulk_create(
        [
            GoalChange(
                goal=copy,
                changed_by=by,
                changes={"cycle": [by_original[copy.carried_from_id].cycle.name, to_cycle.name]},
                reason=f"Carried over from {by_original[copy.carried_from_id].cycle}",
            )
            for copy in new
        ]
    )
    return new
