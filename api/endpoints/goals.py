"""Goals with their progress, check-ins, and quality definitions with versions and criteria: the goals app's
selectors and services, with the same access rules as its pages."""

from datetime import date, datetime

from django.db.models import Prefetch, Q
from ninja import Query, Router, Schema, Status
from pydantic import Field, field_validator

from api.auth import require_write
from api.pagination import PageQuery, page
from api.schemas import READ_ERRORS, WRITE_ERRORS
from goals.models import AcceptanceCriterion, CheckIn, DefinitionVersion, Goal
from goals.selectors import progress
from goals.selectors.visibility import visible_definitions, visible_goals
from goals.services import goals as goal_services
from org import access

router = Router(tags=["goals"])


class ProgressOut(Schema):
    percent: float | None = Field(description="0..100, None when nothing measures it yet.")
    expected: float | None = Field(description="The share of the goal's time gone, 0..100.")
    status: str
    value: float | None = Field(description="The goal's metric's latest complete figure.")
    forecast: float | None


class GoalOut(Schema):
    id: int
    cycle: str
    department_id: int | None = Field(description="None for an organization goal.")
    title: str
    description: str
    owner_id: int | None
    metric_id: int | None
    baseline: float | None
    target: float | None
    direction: str
    due_date: date | None
    confidence: int | None
    progress: ProgressOut


class GoalPage(Schema):
    items: list[GoalOut]
    next_cursor: str | None


class GoalFilters(PageQuery):
    cycle: str | None = Field(None, max_length=40, description="The cycle's name, e.g. 2026.")
    department: int | None = Field(None, ge=1, le=2**62)


def _progress_of(goals: list[Goal]) -> dict[int, progress.Progress]:
    """Progress of the goals, one cycle at a time (a goal's progress needs its whole cycle)."""
    found = {}
    for cycle in {goal.cycle for goal in goals}:
        found.update(progress.for_cycle(cycle).progress)
    return found


def goal_out(goal: Goal, measured: progress.Progress | None) -> dict:
    measured = measured or progress.Progress()
    return {
        "id": goal.pk,
        "cycle": goal.cycle.name,
        "department_id": goal.department_id,
        "title": goal.title,
        "description": goal.description,
        "owner_id": goal.owner_id,
        "metric_id": goal.metric_id,
        "baseline": goal.baseline,
        "target": goal.target,
        "direction": goal.direction,
        "due_date": goal.due_date,
        "confidence": goal.confidence,
        "progress": {
            "percent": measured.percent,
            "expected": measured.expected,
            "status": measured.state,
            "value": measured.value,
            "forecast": measured.forecast,
        },
    }


@router.get("/goals", response={200: GoalPage, **READ_ERRORS}, operation_id="list_goals")
def list_goals(request, filters: Query[GoalFilters]):
    """Goals the token's user may see (organization goals, their departments' and those above), with progress."""
    goals = visible_goals(request.user).select_related("cycle")
    if filters.cycle:
        goals = goals.filter(cycle__name=filters.cycle)
    if filters.department:
        goals = goals.filter(department_id=filters.department)
    items, cursor = page(goals, filters)
    measured = _progress_of(items)
    return {"items": [goal_out(g, measured.get(g.pk)) for g in items], "next_cursor": cursor}


def _goal(user, pk: int) -> Goal:
    return access.get_visible_or_404(visible_goals(user).select_related("cycle", "department"), "No such goal.", pk=pk)


@router.get("/goals/{int:goal_id}", response={200: GoalOut, **READ_ERRORS}, operation_id="get_goal")
def get_goal(request, goal_id: int):
    goal = _goal(request.user, goal_id)
    return goal_out(goal, _progress_of([goal]).get(goal.pk))


class CheckInIn(Schema):
    note: str = Field(min_length=1, max_length=5000, description="What moved since the last check-in.")
    confidence: int = Field(ge=1, le=10, description="1 (unlikely) to 10 (sure).")
    blockers: str = Field("", max_length=5000)

    @field_validator("note", "blockers")
    @classmethod
    def no_nul(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("contains a NUL character; remove it")
        return value


class CheckInOut(Schema):
    id: int
    goal_id: int
    author_id: int
    note: str
    confidence: int
    blockers: str
    progress: float | None
    created_at: datetime


@router.post(
    "/goals/{int:goal_id}/check-ins",
    response={201: CheckInOut, **WRITE_ERRORS},
    operation_id="post_check_in",
)
def post_check_in(request, goal_id: int, payload: CheckInIn):
    """Post a check-in on a goal (its owner, or a manager of its department, while the cycle is open)."""
    require_write(request)
    goal = _goal(request.user, goal_id)
    check_in: CheckIn = goal_services.post_check_in(
        goal=goal, by=request.user, note=payload.note, confidence=payload.confidence, blockers=payload.blockers
    )
    return Status(
        201,
        {
            "id": check_in.pk,
            "goal_id": goal.pk,
            "author_id": check_in.author_id,
            "note": check_in.note,
            "confidence": check_in.confidence,
            "blockers": check_in.blockers,
            "progress": check_in.progress,
            "created_at": check_in.created_at,
        },
    )


class CriterionOut(Schema):
    position: int
    text: str
    metric_id: int | None
    threshold: float | None


class VersionOut(Schema):
    label: str = Field(description="v1.2, or draft.")
    major: int
    minor: int
    promise: str
    change_summary: str
    published_at: datetime | None
    criteria: list[CriterionOut]


class DefinitionOut(Schema):
    id: int
    title: str
    department_id: int
    retired: bool
    versions: list[VersionOut] = Field(description="Newest first; drafts only for the department's managers.")


class DefinitionPage(Schema):
    items: list[DefinitionOut]
    next_cursor: str | None


def _definitions(user):
    versions = DefinitionVersion.objects.order_by("-major", "-minor").prefetch_related(
        Prefetch("criteria", queryset=AcceptanceCriterion.objects.order_by("position", "pk"))
    )
    # Published definitions, and drafts of departments the user manages (as the definitions list shows them).
    shown = visible_definitions(user).filter(
        Q(versions__published_at__isnull=False) | Q(department__in=access.managed_departments(user))
    )
    return shown.distinct().select_related("department").prefetch_related(Prefetch("versions", queryset=versions))


def definition_out(user, definition) -> dict:
    may_see_drafts = access.can_manage(user, definition.department)
    versions = [v for v in definition.versions.all() if not v.is_draft or may_see_drafts]
    return {
        "id": definition.pk,
        "title": definition.title,
        "department_id": definition.department_id,
        "retired": definition.is_retired,
        "versions": [
            {
                "label": v.label,
                "major": v.major,
                "minor": v.minor,
                "promise": v.promise,
                "change_summary": v.change_summary,
                "published_at": v.published_at,
                "criteria": [
                    {"position": c.position, "text": c.text, "metric_id": c.metric_id, "threshold": c.threshold}
                    for c in v.criteria.all()
                ],
            }
            for v in versions
        ],
    }


@router.get("/definitions", response={200: DefinitionPage, **READ_ERRORS}, operation_id="list_definitions")
def list_definitions(request, filters: Query[PageQuery]):
    """Quality definitions the token's user may see, with their versions and acceptance criteria."""
    items, cursor = page(_definitions(request.user), filters)
    return {"items": [definition_out(request.user, d) for d in items], "next_cursor": cursor}


@router.get(
    "/definitions/{int:definition_id}", response={200: DefinitionOut, **READ_ERRORS}, operation_id="get_definition"
)
def get_definition(request, definition_id: int):
    definition = access.get_visible_or_404(_definitions(request.user), "No such definition.", pk=definition_id)
    return definition_out(request.user, definition)
