"""Who is current, due or overdue: rolling and fixed windows, new major versions, failed checks, in one query."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from core import periods
from reviews import tasks
from reviews.models import Completion, Invitation, RefresherProgramme, ReviewSession
from reviews.services import training
from tests.goals.factories import QualityDefinitionFactory
from tests.helpers import grow_teams
from tests.reviews.factories import (
    RefresherProgrammeFactory,
    complete,
    make_quiz,
    publish_version,
    started,
    take,
)


@pytest.fixture
def scene(org):
    definition = QualityDefinitionFactory(department=org.support, title="Support tickets")
    publish_version(definition, major=1, days_ago=400)
    programme = started(
        RefresherProgrammeFactory(definitions=[definition], departments=[org.support], every_months=6), days_ago=300
    )
    return org, definition, programme


def state_of(person, definition):
    [state] = [s for s in training.due_states(person_id=person.pk) if s.definition_id == definition.pk]
    return state


def test_add_months_keeps_the_day_or_the_months_last():
    assert training.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert training.add_months(date(2027, 11, 15), 3) == date(2028, 2, 15)
    assert training.add_months(date(2027, 4, 30), 1) == date(2027, 5, 31)  # the last day stays the last


def test_it_counts_everyone_in_the_programmes_departments_and_below(scene):
    people = {s.username for s in training.due_states()}
    assert people == {"alice", "bob"}  # Support and Front Line; not charlie (Sales) nor root (Acme)


def test_rolling_is_due_every_n_months_after_the_last_completion(scene):
    org, definition, _ = scene
    complete(org.bob, definition, days_ago=10)
    state = state_of(org.bob, definition)
    assert state.state == training.CURRENT
    assert state.due_date == training.add_months(periods.local_day(state.last_completed_at), 6)


def test_rolling_becomes_due_in_the_last_thirty_days_and_overdue_after(scene):
    org, definition, _ = scene
    complete(org.bob, definition, days_ago=170)
    complete(org.alice, definition, days_ago=200)
    assert state_of(org.bob, definition).state == training.DUE
    assert state_of(org.alice, definition).state == training.OVERDUE


def test_a_person_never_completed_is_due_from_the_programmes_start(scene):
    org, definition, programme = scene
    assert state_of(org.bob, definition).state == training.OVERDUE  # started 300 days ago, 30 days of grace
    started(programme, days_ago=1)
    state = state_of(org.bob, definition)
    assert state.state == training.DUE
    assert state.reason == "not completed yet"


def test_fixed_a_completion_before_the_deadline_satisfies_it(scene):
    org, definition, programme = scene
    today = periods.today()
    first = today - timedelta(days=365 * 2)
    RefresherProgramme.objects.filter(pk=programme.pk).update(
        window=RefresherProgramme.Window.FIXED, fixed_date=first, every_months=12
    )
    complete(org.bob, definition, days_ago=5)
    complete(org.alice, definition, days_ago=-0)
    # Five days before this year's deadline (today): it satisfies it; the next deadline is a year away.
    assert state_of(org.bob, definition).due_date == training.add_months(first, 36)
    assert state_of(org.alice, definition).due_date == training.add_months(first, 36)
    assert state_of(org.bob, definition).state == training.CURRENT


def _fixed_scene(org):
    definition = QualityDefinitionFactory(department=org.support, title="Refunds")
    publish_version(definition, major=1, days_ago=900)
    programme = started(
        RefresherProgrammeFactory(
            definitions=[definition],
            departments=[org.support],
            every_months=12,
            window=RefresherProgramme.Window.FIXED,
            fixed_date=date(2025, 11, 15),
        ),
        days_ago=500,
    )
    return definition, programme


def _completed_on(person, definition, day):
    return Completion.objects.create(
        person=person,
        definition=definition,
        source=Completion.Source.ADMIN,
        completed_at=datetime.combine(day, time(10), periods.organization_zone()),
    )


@pytest.mark.parametrize(
    ("completed", "due"),
    [
        (date(2026, 11, 10), date(2027, 11, 15)),  # five days before the 2026 deadline: satisfies it
        (date(2026, 11, 15), date(2027, 11, 15)),  # on the deadline
        (date(2026, 11, 20), date(2027, 11, 15)),  # five days late: makes up for 2026
        (date(2026, 9, 1), date(2027, 11, 15)),  # well ahead of the 2026 deadline
        (date(2025, 11, 14), date(2026, 11, 15)),  # the day before the first deadline
    ],
)
def test_fixed_a_completion_satisfies_the_deadline_it_belongs_to(org, completed, due):
    definition, _programme = _fixed_scene(org)
    _completed_on(org.bob, definition, completed)
    assert state_of(org.bob, definition).due_date == due


def test_fixed_the_early_completer_is_never_worse_off_than_the_late_one(org):
    definition, _programme = _fixed_scene(org)
    _completed_on(org.bob, definition, date(2026, 11, 10))
    _completed_on(org.alice, definition, date(2026, 11, 20))
    with time_machine.travel(datetime(2026, 11, 25, 12, tzinfo=UTC)):
        bob, alice = state_of(org.bob, definition), state_of(org.alice, definition)
    assert bob.state == alice.state == training.CURRENT
    assert bob.due_date == alice.due_date == date(2027, 11, 15)


def test_fixed_deadlines_on_a_months_last_day_stay_on_the_last_day():
    assert training.next_fixed_deadline(date(2025, 4, 30), 1, date(2025, 5, 1)) == date(2025, 5, 31)
    assert training.next_fixed_deadline(date(2027, 2, 28), 12, date(2027, 3, 1)) == date(2028, 2, 29)
    assert training.due_after_completion(date(2025, 6, 30), 3, date(2025, 9, 29)) == date(2025, 12, 31)


def test_a_new_major_version_makes_people_due_at_once(scene):
    org, definition, _ = scene
    complete(org.bob, definition, days_ago=20)
    assert state_of(org.bob, definition).state == training.CURRENT
    publish_version(definition, major=1, minor=1, days_ago=5)  # a minor version changes nothing
    assert state_of(org.bob, definition).state == training.CURRENT
    publish_version(definition, major=2, days_ago=2)
    state = state_of(org.bob, definition)
    assert state.state == training.DUE
    assert state.reason.startswith("new major version")


def test_a_completion_after_the_new_major_version_makes_them_current_again(scene):
    org, definition, _ = scene
    publish_version(definition, major=2, days_ago=10)
    complete(org.bob, definition, days_ago=1)
    assert state_of(org.bob, definition).state == training.CURRENT


def test_a_failed_check_makes_the_person_due_at_once(scene):
    org, definition, _ = scene
    complete(org.bob, definition, days_ago=20)
    take(make_quiz(definition), org.bob, wrong=3)
    state = state_of(org.bob, definition)
    assert state.state == training.DUE
    assert state.reason.startswith("failed the check")
    assert state.last_score == 25.0


def test_passing_the_check_makes_the_person_current(scene):
    org, definition, _ = scene
    quiz = make_quiz(definition)
    take(quiz, org.bob, wrong=3)
    take(quiz, org.bob)
    state = state_of(org.bob, definition)
    assert state.state == training.CURRENT
    assert state.last_score == 100.0


def test_the_strictest_programme_wins(scene):
    org, definition, _ = scene
    RefresherProgrammeFactory(definitions=[definition], departments=[org.front_line], every_months=1)
    complete(org.bob, definition, days_ago=40)
    assert state_of(org.bob, definition).state == training.OVERDUE
    complete(org.alice, definition, days_ago=40)
    assert state_of(org.alice, definition).state == training.CURRENT  # alice is only in the 6-month programme


def test_inactive_programmes_retired_definitions_and_people_who_left_are_left_out(scene):
    org, definition, programme = scene
    org.bob.is_active = False
    org.bob.save()
    assert {s.username for s in training.due_states()} == {"alice"}
    definition.retired_at = timezone.now()
    definition.save()
    assert training.due_states() == []
    definition.retired_at = None
    definition.save()
    RefresherProgramme.objects.filter(pk=programme.pk).update(active=False)
    assert training.due_states() == []


def test_it_narrows_to_departments_and_definitions(scene):
    org, definition, _ = scene
    assert {s.username for s in training.due_states(department_paths=[org.front_line.path])} == {"bob"}
    assert training.due_states(department_paths=[org.sales.path]) == []
    assert training.due_states(definition_ids=[definition.pk + 1000]) == []


def _crowd(org, definitions, people: int) -> None:
    _teams, crowd = grow_teams(org.support, teams=3, people=people)
    for n, person in enumerate(crowd):
        for k, definition in enumerate(definitions):
            if (n + k) % 2:
                complete(person, definition, days_ago=(n * 37 + k * 11) % 400)


@pytest.mark.parametrize("people", [5, 40])
def test_it_takes_one_query_whatever_the_number_of_people_and_programmes(org, people, django_assert_max_num_queries):
    definitions = [QualityDefinitionFactory(department=org.support) for _ in range(3)]
    for definition in definitions:
        publish_version(definition, major=1, days_ago=50)
        make_quiz(definition)
    for n in range(4):
        RefresherProgrammeFactory(
            definitions=definitions[: n % 3 + 1],
            departments=[org.support],
            every_months=3 + n,
            window="fixed" if n % 2 else "rolling",
            fixed_date=date(2025, 1, 15),
        )
    _crowd(org, definitions, people)
    with django_assert_max_num_queries(1):  # the one statement of DUE_SQL
        states = training.due_states()
    assert len(states) == (people + 2) * 3  # alice, bob and the crowd, three definitions each


def test_invite_due_people_invites_the_due_to_the_next_session_once(scene):
    org, definition, _ = scene
    complete(org.alice, definition, days_ago=1)  # current: not invited
    later = ReviewSession.objects.create(
        title="Later", starts_at=timezone.now() + timedelta(days=20), facilitator=org.alice
    )
    soon = ReviewSession.objects.create(
        title="Soon", starts_at=timezone.now() + timedelta(days=5), facilitator=org.alice
    )
    cancelled = ReviewSession.objects.create(
        title="Cancelled",
        starts_at=timezone.now() + timedelta(days=1),
        facilitator=org.alice,
        cancelled_at=timezone.now(),
    )
    for session in (later, soon, cancelled):
        session.definitions.add(definition)
    assert tasks.invite_due_people() == 1
    assert list(Invitation.objects.values_list("session__title", "person__username")) == [("Soon", "bob")]
    assert tasks.invite_due_people() == 0  # idempotent
    assert Invitation.objects.count() == 1


def test_invite_due_people_leaves_people_already_invited_to_an_upcoming_session(scene):
    org, definition, _ = scene
    complete(org.alice, definition, days_ago=1)
    later = ReviewSession.objects.create(
        title="Later", starts_at=timezone.now() + timedelta(days=20), facilitator=org.alice
    )
    soon = ReviewSession.objects.create(
        title="Soon", starts_at=timezone.now() + timedelta(days=5), facilitator=org.alice
    )
    later.definitions.add(definition)
    soon.definitions.add(definition)
    Invitation.objects.create(session=later, person=org.bob)
    assert tasks.invite_due_people() == 0


def test_the_task_is_registered_under_the_beat_entrys_name():
    from config.celery import app

    assert "reviews.tasks.invite_due_people" in app.tasks
