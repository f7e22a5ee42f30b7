"""Factories and one-line helpers of the reviews app: review sessions, series, invitations and action items;
refresher programmes, quizzes, attempts and completions."""

from datetime import date, time, timedelta

import factory
from django.utils import timezone

from goals.models import DefinitionVersion
from reviews.models import ActionItem, Completion, Invitation, Question, QuizAttempt, RefresherProgramme, ReviewSession
from reviews.services import quizzes
from reviews.services import sessions as scheduling
from reviews.services.quizzes import QuestionRow
from reviews.services.sessions import Details, Pattern
from tests.goals.factories import QualityDefinitionFactory

# --- review sessions --------------------------------------------------------------------------------------------------


class ReviewSessionFactory(factory.django.DjangoModelFactory):
    """A session a week from now; `invite=[people]` invites them."""

    class Meta:
        model = ReviewSession
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Review {n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    time_zone = "Europe/Berlin"
    duration_minutes = 60
    place = "Room 4"
    facilitator = None

    @factory.post_generation
    def definitions(self, create, extracted, **kwargs):
        if create:
            self.definitions.add(*(extracted or [QualityDefinitionFactory()]))

    @factory.post_generation
    def invite(self, create, extracted, **kwargs):
        if create and extracted:
            Invitation.objects.bulk_create([Invitation(session=self, person=p) for p in extracted])


class ActionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionItem

    title = factory.Sequence(lambda n: f"Action {n}")
    due_date = factory.LazyFunction(lambda: date.today() + timedelta(days=14))


def details(org, **overrides) -> Details:
    """What a typical session says: facilitated by alice, covering one definition, for Support."""
    values = dict(
        title="Quality review",
        facilitator=org.alice,
        time_zone="Europe/Berlin",
        duration_minutes=60,
        place="Room 4",
        agenda="1. Figures\n2. Actions",
        definitions=[QualityDefinitionFactory(department=org.support)],
        departments=[org.support],
        people=[],
    )
    values.update(overrides)
    return Details(**values)


def quarterly(first_month: date, **overrides) -> Pattern:
    """Every first Tuesday, quarterly, at 09:30."""
    values = dict(week_of_month=1, weekday=1, every_months=3, first_month=first_month, local_time=time(9, 30))
    values.update(overrides)
    return Pattern(**values)


def past(session: ReviewSession, days: int = 2) -> ReviewSession:
    """Move a session into the past (services refuse to schedule one there)."""
    ReviewSession.objects.filter(pk=session.pk).update(starts_at=timezone.now() - timedelta(days=days))
    session.refresh_from_db()
    return session


def schedule(org, *, days: float = 7, **overrides) -> ReviewSession:
    return scheduling.schedule_session(
        by=org.admin, details=details(org, **overrides), starts_at=timezone.now() + timedelta(days=days)
    )


# --- refresher training -----------------------------------------------------------------------------------------------


class RefresherProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RefresherProgramme
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Programme {n}")
    every_months = 6

    @factory.post_generation
    def definitions(self, create, extracted, **kwargs):
        if create and extracted:
            self.definitions.add(*extracted)

    @factory.post_generation
    def departments(self, create, extracted, **kwargs):
        if create and extracted:
            self.departments.add(*extracted)


def started(programme: RefresherProgramme, days_ago: int) -> RefresherProgramme:
    """Pretend the programme began `days_ago` days ago (created_at is set on insert)."""
    RefresherProgramme.objects.filter(pk=programme.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    programme.refresh_from_db()
    return programme


def publish_version(definition, *, major: int, minor: int = 0, days_ago: int = 0) -> DefinitionVersion:
    return DefinitionVersion.objects.create(
        definition=definition,
        major=major,
        minor=minor,
        promise="A promise.",
        published_at=timezone.now() - timedelta(days=days_ago),
    )


def complete(person, definition, *, days_ago: int, score: float | None = None) -> Completion:
    return Completion.objects.create(
        person=person,
        definition=definition,
        source=Completion.Source.ADMIN,
        completed_at=timezone.now() - timedelta(days=days_ago),
        score=score,
    )


QUESTIONS = [
    QuestionRow(
        kind=Question.Kind.MULTIPLE_CHOICE,
        text="How fast is the first reply?",
        explanation="The promise says four business hours.",
        options=[("Within 4 business hours", True), ("Within a week", False), ("Whenever", False)],
    ),
    QuestionRow(
        kind=Question.Kind.TRUE_FALSE,
        text="Most problems are solved in the first contact.",
        explanation="That is what first-contact resolution measures.",
        options=[("True", True), ("False", False)],
    ),
    QuestionRow(
        kind=Question.Kind.MULTIPLE_CHOICE,
        text="Who measures satisfaction?",
        explanation="Customers answer the CSAT survey.",
        options=[("Customers", True), ("Managers", False)],
    ),
    QuestionRow(
        kind=Question.Kind.TRUE_FALSE,
        text="Tickets may wait until Monday.",
        explanation="Four business hours applies every working day.",
        options=[("True", False), ("False", True)],
    ),
]


def make_quiz(definition=None, *, pass_mark: int = 75, published: bool = True, questions=None):
    definition = definition or QualityDefinitionFactory()
    rows = [
        QuestionRow(kind=q.kind, text=q.text, explanation=q.explanation, options=list(q.options))
        for q in (questions or QUESTIONS)
    ]
    return quizzes.save_quiz(definition=definition, pass_mark=pass_mark, published=published, questions=rows)


def answers_for(quiz, *, wrong: int = 0) -> dict[int, int]:
    """Answers to every question, right except the first `wrong` ones (in the quiz's own order)."""
    chosen = {}
    for n, question in enumerate(quiz.questions.prefetch_related("options")):
        options = list(question.options.all())
        pick = next(o for o in options if o.correct != (n < wrong))
        chosen[question.pk] = pick.pk
    return chosen


def take(quiz, person, *, wrong: int = 0) -> QuizAttempt:
    attempt = quizzes.start_attempt(quiz=quiz, person=person)
    return quizzes.submit_attempt(nonce=attempt.nonce, person=person, answers=answers_for(quiz, wrong=wrong))
