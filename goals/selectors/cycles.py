"""Reads of goal cycles: for the cascade, the cycle list and closing a cycle, and the cycle running today."""

from django.db.models import Count
from django.utils import timezone

from goals.models import GoalCycle


def cycles_with_goal_count():
    """Every goal cycle, in the model's order, each with goal_count: how many goals it holds (one query)."""
    return GoalCycle.objects.annotate(goal_count=Count("goals"))


def running_cycle() -> GoalCycle | None:
    """The open cycle that today falls in (the earliest starting, should several), or None."""
    today = timezone.localdate()
    return GoalCycle.objects.filter(closed_at__isnull=True, start__lte=today, end__gte=today).order_by("start").first()
