"""The demo's review sessions: a quarterly series for Customer Service with past sessions, attendance, minutes and
actions (one for the demo employee, shown on their Today); deterministic and safe to run again."""

import pytest
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from org.models import User
from reviews.models import ActionItem, Invitation, ReviewSeries, ReviewSession
from reviews.today import review_sessions


@pytest.fixture(autouse=True)
def _debug_on(settings):
    settings.DEBUG = True  # seed_demo is for DEBUG installations


def snapshot():
    return (
        sorted(ReviewSession.objects.values_list("occurrence", "title", "minutes", "cancelled_at")),
        sorted(
            Invitation.objects.filter(session__starts_at__lt=timezone.now()).values_list(
                "session__occurrence", "person__username", "response", "attended"
            )
        ),
        sorted(ActionItem.objects.values_list("title", "owner__username", "due_date")),
    )


def test_the_demo_adds_a_quarterly_series_with_past_sessions_and_their_attendance(db):
    call_command("seed_demo", "--seed", "3")
    series = ReviewSeries.objects.get(title="Quality review")
    assert series.every_months == 3 and series.invited_departments.get().code == "customer-service"
    assert series.definitions.exists()
    now = timezone.now()
    past = series.sessions.filter(starts_at__lt=now)
    assert past.count() >= 3 and series.sessions.filter(starts_at__gt=now).exists()
    assert all(s.minutes for s in past)
    assert Invitation.objects.filter(session__in=past, attended=True).exists()
    assert Invitation.objects.filter(session__in=past, attended=False).exists()
    assert ActionItem.objects.filter(session__in=past).count() >= 2 * past.count()
    assert not Invitation.objects.filter(sent_at__isnull=True).exists()  # seeding e-mails nobody

    request = RequestFactory().get("/")
    request.user = User.objects.get(username="employee")
    section = review_sessions(request)
    assert section["actions"] and section["invitations"]  # an open action and a session ahead to answer


def test_the_demo_runs_twice_without_change(db):
    call_command("seed_demo", "--seed", "3")
    first = snapshot()
    call_command("seed_demo", "--seed", "3")
    assert snapshot() == first
    assert ReviewSeries.objects.count() == 1
