"""The home page sections of goals: definitions to acknowledge, and the person's own goals."""

from datetime import timedelta

from django.db.models import Max
from django.utils import timezone

from core import periods, today
from goals.models import Goal
from goals.services import definitions

TODAY_LIMIT = 8  # definitions listed under "To acknowledge"
CHECK_IN_EVERY = timedelta(days=14)  # a goal without a check-in for this long is listed as due


def to_acknowledge(request) -> dict | None:
    """Today's "To acknowledge": the person's pending definitions, oldest request first. One query (two when
    there are more than fit)."""
    rows = list(
        definitions.pending_acknowledgements(request.user).select_related("definition__department")[: TODAY_LIMIT + 1]
    )
    if not rows:
        return None
    more = len(rows) > TODAY_LIMIT
    count = definitions.pending_acknowledgements(request.user).count() if more else len(rows)
    return {"rows": rows[:TODAY_LIMIT], "more": more, "count": count}


def your_goals(request) -> dict | None:
    """Goals the person owns in a cycle running today, and which of them had no check-in for two weeks. One
    query; nothing to say for someone who owns no current goal."""
    day = periods.today()
    goals = list(
        Goal.objects.filter(
            owner=request.user, cycle__closed_at__isnull=True, cycle__start__lte=day, cycle__end__gte=day
        )
        .annotate(last_check_in=Max("check_ins__created_at"))
        .order_by("due_date", "title")
    )
    if not goals:
        return None
    since = timezone.now() - CHECK_IN_EVERY
    due = [g for g in goals if g.last_check_in is None or g.last_check_in < since]
    return {"due": due, "count": len(goals)}


def register() -> None:
    today.register(
        key="definitions",
        title="To acknowledge",
        order=10,
        template="goals/_today_acknowledge.html",
        context=to_acknowledge,
    )
    today.register(key="goals", title="Your goals", order=40, template="goals/_goal_today.html", context=your_goals)
