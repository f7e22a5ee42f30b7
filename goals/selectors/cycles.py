"""Reads of goal cycles shared by the cascade, the cycle list and closing a cycle."""

from django.db.models import Count

from goals.models import GoalCycle


def cycles_with_goal_count():
    """Every goal cycle, in the model's order, each with goal_count: how many goals it holds (one query)."""
    return GoalCycle.objects.annotate(goal_count=Count("goals"))
