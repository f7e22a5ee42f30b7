"""Registers refresher training's home page section, demo step and tasks (imported by ReviewsConfig.ready)."""

from org import today

from . import training  # also registers the beat task reviews.training.invite_due_people
from .models import Quiz


def refreshers_due(request) -> dict | None:
    """Today's "Refresher training": the definitions the person is due or overdue on, with a link to the open
    check of each. Two queries (the due states, the open quizzes), none more when nothing is due."""
    rows = [s for s in training.due_states(person_id=request.user.pk) if s.is_due]
    if not rows:
        return None
    open_quizzes = set(Quiz.objects.filter(published=True, definition_id__in=[s.definition_id for s in rows])
                       .values_list("definition_id", flat=True))
    return {"rows": rows, "quizzes": open_quizzes}


today.register(key="training", title="Refresher training", order=35, template="reviews/_training_today.html",
               context=refreshers_due)
