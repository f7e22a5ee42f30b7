"""The home page section of customers: follow-ups the person owns, or that are open in departments they manage."""

from core import today
from customers.selectors.visibility import visible_follow_ups

FOLLOW_UPS_ON_TODAY = 6


def follow_ups_today(request) -> dict | None:
    """Today's "Follow-ups": open ones the person owns or that are open in departments they manage, soonest due
    first. Two queries (the list and, when it overflows, the count); None when there are none."""
    open_ones = visible_follow_ups(request.user).open()
    rows = list(open_ones.select_related("campaign").order_by("due_date", "pk")[: FOLLOW_UPS_ON_TODAY + 1])
    if not rows:
        return None
    count = open_ones.count() if len(rows) > FOLLOW_UPS_ON_TODAY else len(rows)
    return {"rows": rows[:FOLLOW_UPS_ON_TODAY], "count": count}


def register() -> None:
    today.register(
        key="follow-ups",
        title="Follow-ups",
        order=50,
        template="customers/follow_up_today.html",
        context=follow_ups_today,
    )
