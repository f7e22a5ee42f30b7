"""The demo's refresher training: programmes, quizzes, failed and passed attempts, people in every state."""

import random

import pytest

from goals.demo import seed_definitions
from goals.models import QualityDefinition
from org.demo import seed_organization
from reviews.demo import seed_refresher_training
from reviews.models import Completion, Quiz, QuizAttempt, RefresherProgramme
from reviews.services import training


@pytest.fixture
def demo(db):
    seed_organization(rng=random.Random("7:organization"), size="small")
    seed_definitions(rng=random.Random("7:definitions"), size="small")
    return seed_refresher_training(rng=random.Random("7:refresher-training"), size="small")


def snapshot():
    return (
        list(RefresherProgramme.objects.order_by("pk").values_list("name", "every_months", "window")),
        list(QuizAttempt.objects.order_by("pk").values_list("person__username", "score", "submitted_at")),
        list(Completion.objects.order_by("pk").values_list("person__username", "definition__title", "completed_at")),
    )


def test_it_adds_programmes_quizzes_and_people_in_every_state(demo):
    assert demo.startswith("refresher-training: 2 programmes (2 new), 4 quizzes")
    states = {s.state for s in training.due_states()}
    assert states == {training.CURRENT, training.DUE, training.OVERDUE}
    assert QuizAttempt.objects.filter(passed=False).exists()
    assert all(q.questions.count() in (4, 5) for q in Quiz.objects.all())


def test_the_demo_employee_is_due_on_at_least_one_definition(demo):
    from org.models import User

    employee = User.objects.get(username="employee")
    assert any(s.is_due for s in training.due_states(person_id=employee.pk))


def test_a_second_run_changes_nothing(demo):
    before = snapshot()
    summary = seed_refresher_training(rng=random.Random("7:refresher-training"), size="small")
    assert "(0 new)" in summary
    assert snapshot() == before


def test_it_skips_gracefully_without_the_demo_definitions(db):
    seed_organization(rng=random.Random("7:organization"), size="small")
    assert seed_refresher_training(rng=random.Random("x"), size="small").startswith(
        "refresher-training: 0 programmes (0 new), 0 quizzes"
    )


def test_nobody_is_due_on_a_definition_before_it_was_first_published(demo):
    from core import periods
    from reviews.demo import first_publications

    published = first_publications(QualityDefinition.objects.all())
    states = training.due_states()
    assert states
    for state in states:
        assert state.due_date >= periods.local_day(published[state.definition_id]), state
    for completion in Completion.objects.all():
        assert completion.completed_at > published[completion.definition_id]
    for attempt in QuizAttempt.objects.select_related("quiz"):
        assert attempt.submitted_at > published[attempt.quiz.definition_id]
    for programme in RefresherProgramme.objects.prefetch_related("definitions"):
        assert all(programme.created_at > published[d.pk] for d in programme.definitions.all())
