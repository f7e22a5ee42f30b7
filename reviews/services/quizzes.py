"""Comprehension checks: writing a quiz, taking it in a shuffled order, scoring it once, and what was missed."""

import random
import secrets
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from core.exceptions import RuleViolation
from goals.models import QualityDefinition
from metrics import status as status_rules
from reviews.models import Answer, Completion, Option, Question, Quiz, QuizAttempt
from reviews.services.training import record_completion

SCORE_DECIMALS = 1  # a quiz score is shown, stored and compared with the pass mark as a percentage with 1 decimal

MAX_OPTIONS = 5


@dataclass
class QuestionRow:
    """A question as an admin typed it; options are (text, correct) pairs, empty texts already dropped."""

    kind: str
    text: str
    explanation: str
    options: list[tuple[str, bool]] = field(default_factory=list)
    id: int | None = None


def check_question(row: QuestionRow, number: int) -> None:
    """Refuse a question a person could not answer right, saying which one and how to fix it."""
    where = f"Question {number}"
    if not row.text.strip():
        raise RuleViolation(f"{where} has no text: write the question or remove it.")
    if not row.explanation.strip():
        raise RuleViolation(f"{where} needs an explanation: say why the right answer is right.")
    correct = sum(1 for _text, right in row.options if right)
    if row.kind == Question.Kind.TRUE_FALSE:
        if len(row.options) != 2 or correct != 1:
            raise RuleViolation(
                f"{where} is true or false: it needs two options (True, False) and exactly one "
                f"of them marked correct ({correct} marked)."
            )
    elif row.kind == Question.Kind.MULTIPLE_CHOICE:
        if len(row.options) < 2:
            raise RuleViolation(f"{where} needs at least two options to choose from.")
        if correct < 1:
            raise RuleViolation(f"{where} has no correct answer: mark at least one option as correct.")
    else:
        raise RuleViolation(f"{where} has an unknown kind “{row.kind}”.")


def check_pass_mark(pass_mark) -> int:
    if pass_mark is None or not 0 <= pass_mark <= 100:
        raise RuleViolation(f"The pass mark is a percentage from 0 to 100 (not {pass_mark}).", field="pass_mark")
    return int(pass_mark)


@transaction.atomic
def save_quiz(*, definition: QualityDefinition, pass_mark: int, published: bool, questions: list[QuestionRow]) -> Quiz:
    """Create or replace the quiz of a definition: its pass mark, whether people may take it, its questions.

    Questions with an id are updated in place (their history of answers stays), new ones added, missing ones
    removed; options are updated by position. Everything is checked before anything is written, and it all
    happens in one transaction: a RuleViolation leaves the quiz as it was.
    """
    pass_mark = check_pass_mark(pass_mark)
    if published and not questions:
        raise RuleViolation("A quiz needs at least one question before people can take it.")
    for number, row in enumerate(questions, start=1):
        check_question(row, number)

    quiz, _created = Quiz.objects.select_for_update().get_or_create(
        definition=definition, defaults={"pass_mark": pass_mark, "published": published}
    )
    quiz.pass_mark, quiz.published = pass_mark, published
    quiz.full_clean()
    quiz.save()

    existing = {q.pk: q for q in quiz.questions.prefetch_related("options")}
    kept = {row.id for row in questions if row.id in existing}
    Question.objects.filter(quiz=quiz).exclude(pk__in=kept).delete()
    for position, row in enumerate(questions):
        question = existing.get(row.id) or Question(quiz=quiz)
        question.position, question.kind = position, row.kind
        question.text, question.explanation = row.text.strip(), row.explanation.strip()
        question.full_clean()
        question.save()
        options = list(question.options.all()) if question.pk in kept else []
        for index, (text, correct) in enumerate(row.options):
            option = options[index] if index < len(options) else Option(question=question)
            option.text, option.correct = text.strip(), correct
            option.full_clean()
            option.save()
        Option.objects.filter(pk__in=[o.pk for o in options[len(row.options) :]]).delete()
    return quiz


def rows_of(quiz: Quiz | None) -> list[QuestionRow]:
    """The quiz's questions as rows for the editor."""
    if quiz is None:
        return []
    return [
        QuestionRow(
            id=q.pk,
            kind=q.kind,
            text=q.text,
            explanation=q.explanation,
            options=[(o.text, o.correct) for o in q.options.all()],
        )
        for q in quiz.questions.prefetch_related("options")
    ]


def start_attempt(*, quiz: Quiz, person, session=None) -> QuizAttempt:
    """A new attempt with a fresh random nonce; the nonce also fixes the order in which it is shown."""
    if not quiz.published:
        raise RuleViolation("This comprehension check is not open yet.")
    return QuizAttempt.objects.create(quiz=quiz, person=person, session=session, nonce=secrets.token_urlsafe(24))


def open_attempt(*, quiz: Quiz, person) -> QuizAttempt:
    """The person's attempt not submitted yet, or a new one: reloading the quiz page keeps the same order."""
    attempt = QuizAttempt.objects.filter(quiz=quiz, person=person, submitted_at__isnull=True).first()
    return attempt or start_attempt(quiz=quiz, person=person)


@dataclass
class ShownQuestion:
    """A question as the person sees it: text and options only (never which is correct)."""

    id: int
    text: str
    kind: str
    options: list[tuple[int, str]]


def shuffled(attempt: QuizAttempt) -> list[ShownQuestion]:
    """The attempt's questions and their options in an order drawn from its nonce: the same on every reload,
    different from one attempt to the next. Two queries."""
    rng = random.Random(attempt.nonce)  # noqa: S311  (an order to show, not a secret: the nonce is)
    questions = list(attempt.quiz.questions.prefetch_related("options"))
    rng.shuffle(questions)
    shown = []
    for question in questions:
        options = [(o.pk, o.text) for o in question.options.all()]
        rng.shuffle(options)
        shown.append(ShownQuestion(id=question.pk, text=question.text, kind=question.kind, options=options))
    return shown


def submit_attempt(*, nonce: str, person, answers: dict[int, int]) -> QuizAttempt:
    """Score an attempt once. answers maps question id -> chosen option id, one per question.

    Claims the attempt with a conditional UPDATE (submitted_at IS NULL), so a second submission of the same form
    raises RuleViolation and changes nothing. A pass records a Completion (source quiz); a fail leaves the
    person due at once (see reviews.services.training). Errors: unknown attempt, unanswered or foreign answers, already
    submitted; in each case nothing is saved.
    """
    attempt = QuizAttempt.objects.select_related("quiz").filter(nonce=nonce, person=person).first()
    if attempt is None:
        raise RuleViolation("This quiz form is not yours or no longer exists; open the check again.")
    if attempt.submitted_at:
        raise _already(attempt)
    questions = list(attempt.quiz.questions.prefetch_related("options"))
    missing = [n for n, q in enumerate(questions, start=1) if q.pk not in answers]
    if missing:
        raise RuleViolation(
            f"Answer every question: {len(missing)} of {len(questions)} "
            f"{'is' if len(missing) == 1 else 'are'} still open."
        )
    rows = []
    for question in questions:
        chosen = {o.pk: o for o in question.options.all()}.get(answers[question.pk])
        if chosen is None:
            raise RuleViolation("One of the answers does not belong to its question; reload the quiz.")
        rows.append(Answer(attempt=attempt, question=question, option=chosen, correct=chosen.correct))
    right = sum(1 for row in rows if row.correct)
    score = round(100 * right / len(rows), SCORE_DECIMALS) if rows else 0.0
    passed = status_rules.meets(score, attempt.quiz.pass_mark, higher_is_better=True, decimals=SCORE_DECIMALS)
    now = timezone.now()
    with transaction.atomic():
        claimed = QuizAttempt.objects.filter(pk=attempt.pk, submitted_at__isnull=True).update(
            submitted_at=now, score=score, passed=passed
        )
        if not claimed:
            attempt.refresh_from_db()
            raise _already(attempt)
        Answer.objects.bulk_create(rows)
        if passed:
            record_completion(
                person=person,
                definition=attempt.quiz.definition,
                at=now,
                source=Completion.Source.QUIZ,
                score=score,
                attempt=attempt,
            )
    attempt.submitted_at, attempt.score, attempt.passed = now, score, passed
    return attempt


def _already(attempt: QuizAttempt) -> RuleViolation:
    when = timezone.localtime(attempt.submitted_at).strftime("%H:%M on %-d %b")
    return RuleViolation(f"You already submitted this quiz at {when}; your result is below. Nothing was changed.")


@dataclass
class Missed:
    question: str
    your_answer: str
    right_answers: list[str]
    explanation: str


def missed_points(attempt: QuizAttempt) -> list[Missed]:
    """The questions the person got wrong, with the right answers and why: only once the attempt is submitted."""
    if attempt.submitted_at is None:
        return []
    wrong = (
        Answer.objects.filter(attempt=attempt, correct=False)
        .select_related("question", "option")
        .prefetch_related("question__options")
        .order_by("question__position", "question_id")
    )
    return [
        Missed(
            question=a.question.text,
            your_answer=a.option.text if a.option else "",
            right_answers=[o.text for o in a.question.options.all() if o.correct],
            explanation=a.question.explanation,
        )
        for a in wrong
    ]
