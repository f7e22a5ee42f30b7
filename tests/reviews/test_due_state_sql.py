"""The set-based due states (PostgreSQL: every date worked out in one statement) equal the reference computation
(one row per programme, person and definition, dates in Python) on varied data: rolling and fixed windows of
every length, deadlines on months' last days, completions near midnight in a zone far from UTC, failed checks,
new major versions, people in several programmes, and the report's pages and totals."""

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from reviews.models import Completion, QuizAttempt, RefresherProgramme
from reviews.services import training
from tests.goals.factories import QualityDefinitionFactory
from tests.helpers import grow_teams
from tests.reviews.factories import RefresherProgrammeFactory, make_quiz, publish_version, started

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the set-based statement is PostgreSQL's; elsewhere it is the reference"
)

FIXED_DATES = [date(2025, 1, 31), date(2025, 2, 28), date(2024, 2, 29), date(2025, 4, 30), date(2025, 6, 15)]


def _varied(org, seed: int) -> None:
    rng = random.Random(seed)
    teams, people = grow_teams(org.acme, teams=4, people=24)
    people += [org.alice, org.bob, org.charlie]
    people[0].is_active = False
    people[0].save(update_fields=["is_active"])
    definitions = [QualityDefinitionFactory(department=org.support) for _ in range(4)]
    definitions[3].retired_at = timezone.now()
    definitions[3].save(update_fields=["retired_at"])
    quizzes = {d.pk: make_quiz(d) for d in definitions}
    for definition in definitions[:3]:
        for major in range(1, rng.randint(1, 3) + 1):
            publish_version(definition, major=major, days_ago=rng.randint(0, 500))
    places = [org.acme, org.support, org.front_line, org.sales, *teams]
    for _ in range(5):
        window = rng.choice(RefresherProgramme.Window.values)
        programme = RefresherProgrammeFactory(
            definitions=rng.sample(definitions, rng.randint(1, 4)),
            departments=rng.sample(places, rng.randint(1, 2)),
            every_months=rng.choice([1, 2, 3, 5, 6, 12, 24]),
            window=window,
            fixed_date=rng.choice(FIXED_DATES) if window == RefresherProgramme.Window.FIXED else None,
            active=rng.random() > 0.1,
        )
        started(programme, days_ago=rng.randint(0, 900))
    now = timezone.now()
    completions, attempts = [], []
    for person in people:
        for definition in definitions:
            for _ in range(rng.choice([0, 0, 1, 2, 3])):
                # near midnight (in UTC and in New York) as often as anywhere else
                moment = now - timedelta(
                    days=rng.randint(0, 800), hours=rng.choice([0, 4, 5, 23]), minutes=rng.randint(0, 59)
                )
                completions.append(
                    Completion(
                        person=person, definition=definition, completed_at=moment, source=Completion.Source.ADMIN
                    )
                )
            for _ in range(rng.choice([0, 0, 1, 2])):
                submitted = rng.random() > 0.15
                passed = rng.random() > 0.5 if submitted else None
                attempts.append(
                    QuizAttempt(
                        quiz=quizzes[definition.pk],
                        person=person,
                        nonce=f"n{seed}-{len(attempts)}",
                        submitted_at=now - timedelta(days=rng.randint(0, 400), hours=rng.randint(0, 23))
                        if submitted
                        else None,
                        score=round(rng.uniform(0, 100), 1) if submitted else None,
                        passed=passed,
                    )
                )
    Completion.objects.bulk_create(completions)
    QuizAttempt.objects.bulk_create(attempts)


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Pacific/Auckland"])
@pytest.mark.parametrize("seed", range(4))
def test_the_statement_says_what_the_reference_says(org, settings, seed, zone):
    settings.TIME_ZONE = zone
    _varied(org, seed)
    today = timezone.now().astimezone(ZoneInfo(zone)).date()
    seen = set()
    for day in (today, today + timedelta(days=45), date(2027, 3, 31)):
        expected = training._due_states_python(today=day)
        assert expected, "the data set holds due states"
        assert training.due_states(today=day) == expected
        seen |= {s.state for s in expected}
    assert seen == set(training.STATES)
    paths = [org.support.path]
    expected = training._due_states_python(department_paths=paths, today=today)
    assert training.due_states(department_paths=paths, today=today) == expected


@pytest.mark.parametrize("seed", range(2))
def test_a_page_of_the_report_is_the_same_slice_with_the_same_totals(org, seed):
    _varied(org, seed)
    today = timezone.localdate()
    everyone = training._due_states_python(department_paths=["/"], today=today)
    counts = {s: sum(1 for row in everyone if row.state == s) for s in training.STATES}
    for state in (None, *training.STATES):
        chosen = [row for row in everyone if state is None or row.state == state]
        last = max(1, -(-len(chosen) // 7))
        for page, number in ((1, 1), (2, min(2, last)), (None, last), (999, last)):
            found = training.due_page(department_paths=["/"], state=state, page=page, per_page=7, today=today)
            offset = (number - 1) * 7
            assert found.rows == chosen[offset : offset + 7]
            assert (found.total, found.offset, found.counts) == (len(chosen), offset, counts)
            assert found.definitions == {row.definition_id: row.definition for row in everyone}


def test_a_moment_just_before_midnight_counts_on_its_local_day(org, settings):
    settings.TIME_ZONE = "America/New_York"
    definition = QualityDefinitionFactory(department=org.support)
    programme = RefresherProgrammeFactory(definitions=[definition], departments=[org.support], every_months=1)
    started(programme, days_ago=100)
    # 31 Jan 23:30 in New York is 1 Feb in UTC: a month later is the last of February, not 1 March
    Completion.objects.create(
        person=org.alice,
        definition=definition,
        completed_at=datetime(2026, 1, 31, 23, 30, tzinfo=ZoneInfo("America/New_York")),
        source=Completion.Source.ADMIN,
    )
    [state] = training.due_states(person_id=org.alice.pk)
    assert state.due_date == date(2026, 2, 28)
    assert [state] == training._due_states_python(person_id=org.alice.pk)
