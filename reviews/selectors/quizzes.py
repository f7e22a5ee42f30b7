"""Reads behind the comprehension-check pages."""

from django.db.models import Count

from goals.models import QualityDefinition


def definitions_with_quiz_size():
    """Active quality definitions by title, with their department and quiz, each with questions: how many
    questions its quiz has (0 without a quiz). One query."""
    return (QualityDefinition.objects.active().select_related("department", "quiz")
            .annotate(questions=Count("quiz__questions")).order_by("title"))
