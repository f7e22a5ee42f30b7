"""The home page sections of reviews: review sessions (invitations to answer, actions to do) and refreshers due."""

from django.utils import timezone

from core import periods, today
from reviews.models import ActionItem, Invitation, Quiz
from reviews.services import training

TODAY_LIMIT = 6  # invitations, and actions, listed under "Review sessions"


def review_sessions(request) -> dict | None:
    """Today's "Review sessions": invitations the person has not answered and the actions they own that are open.
    Two queries; nothing to say when both are empty."""
    now = timezone.now()
    invitations = list(
        Invitation.objects.filter(
            person=request.user,
            response=Invitation.Response.PENDING,
            session__starts_at__gt=now,
            session__cancelled_at__isnull=True,
        )
        .select_related("session")
        .order_by("session__starts_at")[:TODAY_LIMIT]
    )
    actions = list(
        ActionItem.objects.filter(owner=request.user, done_at__isnull=True)
        .select_related("session")
        .order_by("due_date", "pk")[:TODAY_LIMIT]
    )
    if not invitations and not actions:
        return None
    return {"invitations": invitations, "actions": actions, "today": periods.today()}


def refreshers_due(request) -> dict | None:
    """Today's "Refresher training": the definitions the person is due or overdue on, with a link to the open
    check of each. Two queries (the due states, the open quizzes), none more when nothing is due."""
    rows = [s for s in training.due_states(person_id=request.user.pk) if s.is_due]
    if not rows:
        return None
    open_quizzes = set(
        Quiz.objects.filter(published=True, definition_id__in=[s.definition_id for s in rows]).values_list(
            "definition_id", flat=True
        )
    )
    return {"rows": rows, "quizzes": open_quizzes}


def register() -> None:
    today.register(
        key="reviews",
        title="Review sessions",
        order=30,
        template="reviews/_session_today.html",
        context=review_sessions,
    )
    today.register(
        key="training",
        title="Refresher training",
        order=35,
        template="reviews/_training_today.html",
        context=refreshers_due,
    )
