"""Factories and one-line helpers for review sessions, series, invitations and action items."""

from datetime import date, time, timedelta

import factory
from django.utils import timezone

from reviews.models import ActionItem, Invitation, ReviewSession
from reviews.services import sessions as scheduling
from reviews.services.sessions import Details, Pattern
from tests.goals.factories import QualityDefinitionFactory


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
    values = dict(title="Quality review", facilitator=org.alice, time_zone="Europe/Berlin", duration_minutes=60,
                  place="Room 4", agenda="1. Figures\n2. Actions",
                  definitions=[QualityDefinitionFactory(department=org.support)], departments=[org.support],
                  people=[])
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
    return scheduling.schedule_session(by=org.admin, details=details(org, **overrides),
                                       starts_at=timezone.now() + timedelta(days=days))
