"""Comprehension checks: what a quiz must have, scoring once, shuffling, and no answers in the page."""

import pytest
from django.urls import reverse

from core.exceptions import RuleViolation
from reviews.models import Answer, Completion, Option, Question, Quiz
from reviews.services import quizzes, training
from reviews.services.quizzes import QuestionRow
from tests.goals.factories import QualityDefinitionFactory
from tests.reviews.factories import (
    QUESTIONS,
    RefresherProgrammeFactory,
    answers_for,
    complete,
    make_quiz,
    take,
)


@pytest.fixture
def definition(org):
    return QualityDefinitionFactory(department=org.support, title="Support tickets")


def row(kind=Question.Kind.MULTIPLE_CHOICE, options=(("A", True), ("B", False)), text="Q?", explanation="Why."):
    return QuestionRow(kind=kind, text=text, explanation=explanation, options=list(options))


def test_it_saves_a_quiz_with_questions_and_options(definition):
    quiz = make_quiz(definition, pass_mark=80)
    assert quiz.pass_mark == 80
    assert quiz.questions.count() == 4
    assert Option.objects.filter(question__quiz=quiz, correct=True).count() == 4


@pytest.mark.parametrize(
    "bad, message",
    [
        (row(options=[("A", False), ("B", False)]), "no correct answer"),
        (row(options=[("A", True)]), "at least two options"),
        (row(kind=Question.Kind.TRUE_FALSE, options=[("True", True), ("False", True)]), "exactly one"),
        (row(kind=Question.Kind.TRUE_FALSE, options=[("True", False), ("False", False)]), "exactly one"),
        (row(text=" "), "no text"),
        (row(explanation=""), "needs an explanation"),
    ],
)
def test_it_refuses_a_question_that_cannot_be_answered_right_and_saves_nothing(definition, bad, message):
    with pytest.raises(RuleViolation, match=message):
        quizzes.save_quiz(definition=definition, pass_mark=80, published=True, questions=[row(), bad])
    assert not Quiz.objects.exists()
    assert not Question.objects.exists()


def test_a_refused_edit_leaves_the_saved_quiz_as_it_was(definition):
    quiz = make_quiz(definition)
    rows = quizzes.rows_of(quiz)
    rows[0].text = "Changed"
    rows[1].options = [("True", False), ("False", False)]
    with pytest.raises(RuleViolation, match="Question 2"):
        quizzes.save_quiz(definition=definition, pass_mark=50, published=True, questions=rows)
    quiz.refresh_from_db()
    assert quiz.pass_mark == 75
    assert quiz.questions.first().text == QUESTIONS[0].text


@pytest.mark.parametrize("pass_mark", [-1, 101, None])
def test_it_refuses_a_pass_mark_outside_0_to_100(definition, pass_mark):
    with pytest.raises(RuleViolation, match="0 to 100") as caught:
        quizzes.save_quiz(definition=definition, pass_mark=pass_mark, published=False, questions=[row()])
    assert caught.value.field == "pass_mark"
    assert not Quiz.objects.exists()


def test_editing_keeps_answered_questions_and_their_history(definition, org):
    quiz = make_quiz(definition)
    take(quiz, org.bob, wrong=1)
    rows = quizzes.rows_of(quiz)
    rows[0].text = "How fast is the first reply, at most?"
    quizzes.save_quiz(definition=definition, pass_mark=75, published=True, questions=rows[:3])
    assert quiz.questions.count() == 3
    assert Answer.objects.count() == 3  # the removed question's answer went with it; the others stayed


def test_a_pass_records_a_completion_from_the_quiz(definition, org):
    attempt = take(make_quiz(definition, pass_mark=75), org.bob, wrong=1)
    assert (attempt.score, attempt.passed) == (75.0, True)
    completion = Completion.objects.get()
    assert (completion.person, completion.source, completion.score, completion.attempt) == (
        org.bob,
        Completion.Source.QUIZ,
        75.0,
        attempt,
    )


def test_a_fail_records_no_completion_and_leaves_the_person_due(definition, org):
    RefresherProgrammeFactory(definitions=[definition], departments=[org.support])
    complete(org.bob, definition, days_ago=5)
    attempt = take(make_quiz(definition, pass_mark=75), org.bob, wrong=2)
    assert (attempt.score, attempt.passed) == (50.0, False)
    assert Completion.objects.count() == 1
    [state] = training.due_states(person_id=org.bob.pk)
    assert state.state == training.DUE


def test_a_second_submission_of_the_same_form_is_refused_and_changes_nothing(definition, org):
    quiz = make_quiz(definition)
    attempt = quizzes.start_attempt(quiz=quiz, person=org.bob)
    quizzes.submit_attempt(nonce=attempt.nonce, person=org.bob, answers=answers_for(quiz, wrong=4))
    with pytest.raises(RuleViolation, match="already submitted"):
        quizzes.submit_attempt(nonce=attempt.nonce, person=org.bob, answers=answers_for(quiz))
    attempt.refresh_from_db()
    assert (attempt.score, attempt.passed) == (0.0, False)
    assert Answer.objects.count() == 4
    assert not Completion.objects.exists()


def test_it_refuses_an_incomplete_or_foreign_answer_sheet_and_saves_nothing(definition, org):
    quiz = make_quiz(definition)
    other = make_quiz(QualityDefinitionFactory(department=org.support))
    attempt = quizzes.start_attempt(quiz=quiz, person=org.bob)
    answers = answers_for(quiz)
    first = next(iter(answers))
    with pytest.raises(RuleViolation, match="1 of 4 is still open"):
        quizzes.submit_attempt(
            nonce=attempt.nonce, person=org.bob, answers={k: v for k, v in answers.items() if k != first}
        )
    with pytest.raises(RuleViolation, match="does not belong"):
        quizzes.submit_attempt(
            nonce=attempt.nonce, person=org.bob, answers=answers | {first: next(iter(answers_for(other).values()))}
        )
    with pytest.raises(RuleViolation, match="not yours"):
        quizzes.submit_attempt(nonce=attempt.nonce, person=org.alice, answers=answers)
    attempt.refresh_from_db()
    assert attempt.submitted_at is None
    assert not Answer.objects.exists()


def test_an_unpublished_quiz_cannot_be_started(definition, org):
    with pytest.raises(RuleViolation, match="not open"):
        quizzes.start_attempt(quiz=make_quiz(definition, published=False), person=org.bob)


def test_the_order_is_shuffled_per_attempt_and_stable_for_one(definition, org):
    quiz = make_quiz(
        definition,
        questions=[row(text=f"Question {n}", options=[(f"Option {k}", k == 0) for k in range(5)]) for n in range(8)],
    )
    attempts = [quizzes.start_attempt(quiz=quiz, person=org.bob) for _ in range(5)]
    orders = [tuple(q.id for q in quizzes.shuffled(a)) for a in attempts]
    assert len(set(orders)) > 1
    assert quizzes.shuffled(attempts[0]) == quizzes.shuffled(attempts[0])
    option_orders = {tuple(o for o, _text in q.options) for a in attempts for q in quizzes.shuffled(a)}
    assert len(option_orders) > 1


def test_missed_points_name_the_right_answer_and_why_only_after_submission(definition, org):
    quiz = make_quiz(definition)
    attempt = quizzes.start_attempt(quiz=quiz, person=org.bob)
    assert quizzes.missed_points(attempt) == []
    attempt = quizzes.submit_attempt(nonce=attempt.nonce, person=org.bob, answers=answers_for(quiz, wrong=1))
    [missed] = quizzes.missed_points(attempt)
    assert missed.question == QUESTIONS[0].text
    assert missed.right_answers == ["Within 4 business hours"]
    assert missed.explanation == QUESTIONS[0].explanation


def test_the_quiz_page_sends_no_answers_or_explanations_to_the_browser(definition, org, client):
    quiz = make_quiz(definition)
    client.force_login(org.bob)
    response = client.get(reverse("reviews:quiz", args=[definition.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    for question in quiz.questions.prefetch_related("options"):
        assert question.text in html
        assert question.explanation not in html
        for option in question.options.all():
            assert f'value="{option.pk}"' in html
    assert "correct" not in html.lower()
    assert "explanation" not in html.lower()


def test_a_score_just_below_the_pass_mark_is_shown_as_it_was_judged(definition, org, client):
    # 2 of 3 right is 66.7 %: below a pass mark of 67 %, and shown so, never rounded up to "67%" beside "Not passed".
    attempt = take(make_quiz(definition, pass_mark=67, questions=QUESTIONS[:3]), org.bob, wrong=1)
    assert (attempt.score, attempt.passed) == (66.7, False)
    client.force_login(org.bob)
    page = client.get(reverse("reviews:quiz_result", args=[attempt.nonce])).content.decode()
    assert '<span class="fs-3 fw-semibold">66.7%</span>' in page and "Not passed this time." in page


def test_a_score_on_the_pass_mark_passes(definition, org):
    attempt = take(make_quiz(definition, pass_mark=75), org.bob, wrong=1)
    assert (attempt.score, attempt.passed) == (75.0, True)
