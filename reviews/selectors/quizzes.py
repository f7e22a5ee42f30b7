"""Reads behind the comprehension-check pages."""

from django.db.models import Count, Q

from goals.models import QualityDefinition
from goals.selectors.visibility import visible_definitions
from reviews.models import Quiz, RefresherProgramme


def definitions_with_quiz_size():
    """Active quality definitions by title, with their department and quiz, each with questions: how many
    questions its quiz has (0 without a quiz). One query."""
    return (
        QualityDefinition.objects.active()
        .select_related("department", "quiz")
        .annotate(questions=Count("quiz__questions"))
        .order_by("title")
    )


def open_quizzes(user):
    """Published checks of definitions not retired that the person may take, with their definition: those of
    definitions they may see, and those an active programme of their department (or one above it) asks of them."""
    chain = [*user.department.ancestor_ids, user.department_id] if user.department_id else []
    assigned = RefresherProgramme.objects.filter(active=True, departments__in=chain).values("definitions")
    return Quiz.objects.select_related("definition").filter(
        Q(definition__in=visible_definitions(user).values("pk")) | Q(definition__in=assigned),
        published=True,
        definition__retired_at__isnull=True,
    )
