"""The compliance report: its rows, weak questions, CSV and XLSX exports, and a bounded number of queries."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from reviews.models import Completion, RefresherProgramme
from reviews.selectors import compliance
from reviews.services import training
from tests.goals.factories import QualityDefinitionFactory
from tests.helpers import grow_teams
from tests.reviews.factories import RefresherProgrammeFactory, complete, make_quiz, take


@pytest.fixture
def scene(org):
    definition = QualityDefinitionFactory(department=org.support, title="Support tickets")
    quiz = make_quiz(definition, pass_mark=75)
    RefresherProgrammeFactory(definitions=[definition], departments=[org.support, org.sales])
    complete(org.alice, definition, days_ago=10)
    take(quiz, org.bob, wrong=2)  # 50%: failed, the first two questions missed
    take(quiz, org.charlie, wrong=1)  # 75%: passed, the first question missed
    return org, definition, quiz


def test_it_lists_who_is_current_due_or_overdue_with_last_completion_and_score(scene):
    org, _definition, _ = scene
    report = compliance.build_report(user=org.admin)
    rows = {r.username: r for r in report.rows}
    assert set(rows) == {"alice", "bob", "charlie"}
    assert rows["alice"].state == training.CURRENT and rows["alice"].last_score is None
    assert rows["bob"].state == training.DUE and rows["bob"].last_score == 50.0
    assert rows["bob"].last_completed_at is None
    assert rows["charlie"].state == training.CURRENT and rows["charlie"].last_completed_at is not None
    assert report.counts == {training.CURRENT: 2, training.DUE: 1, training.OVERDUE: 0}


def test_a_manager_sees_only_their_departments(scene):
    org, *_ = scene
    assert {r.username for r in compliance.build_report(user=org.alice).rows} == {"alice", "bob"}
    assert {r.username for r in compliance.build_report(user=org.charlie).rows} == {"charlie"}


def test_it_filters_by_department_definition_and_state(scene):
    org, definition, _ = scene
    assert {r.username for r in compliance.build_report(user=org.admin, department=org.front_line).rows} == {"bob"}
    assert compliance.build_report(user=org.admin, definition_id=definition.pk + 99).rows == []
    assert [r.username for r in compliance.build_report(user=org.admin, state=training.DUE).rows] == ["bob"]


def test_weak_questions_are_the_most_often_missed_first(scene):
    org, definition, _quiz = scene
    report = compliance.build_report(user=org.admin)
    weak = report.weak[definition.pk]
    assert [(q.text, q.missed, q.answered) for q in weak] == [
        ("How fast is the first reply?", 2, 2),
        ("Most problems are solved in the first contact.", 1, 2),
    ]
    # a manager's weak questions count only their people's answers
    [only_bob] = compliance.build_report(user=org.alice).weak[definition.pk][:1]
    assert (only_bob.missed, only_bob.answered) == (1, 1)


def test_the_csv_export_has_the_rows_of_the_report(scene, client):
    org, *_ = scene
    client.force_login(org.alice)
    response = client.get(reverse("reviews:compliance_csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == compliance.EXPORT_HEADER
    assert [(r[1], r[4], r[7]) for r in rows[1:]] == [("bob", "Due", "50.0"), ("alice", "Current", "")]


def test_the_xlsx_export_has_the_rows_and_the_weak_questions(scene, client):
    org, *_ = scene
    client.force_login(org.admin)
    response = client.get(reverse("reviews:compliance_xlsx"), {"state": "due"})
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book["Compliance"].iter_rows(values_only=True))
    assert list(rows[0]) == compliance.EXPORT_HEADER
    assert [(r[1], r[4], r[7]) for r in rows[1:]] == [("bob", "Due", 50)]
    weak = list(book["Weak questions"].iter_rows(values_only=True))
    assert weak[1][:3] == ("Support tickets", "How fast is the first reply?", 2)


def test_names_that_look_like_formulas_stay_text(scene, client):
    org, *_ = scene
    org.bob.first_name = "=HYPERLINK(1)"
    org.bob.save()
    client.force_login(org.alice)
    assert "'=HYPERLINK" in client.get(reverse("reviews:compliance_csv")).content.decode()


def _crowd(org, people: int) -> None:
    definitions = [QualityDefinitionFactory(department=org.support) for _ in range(3)]
    quizzes = [make_quiz(d) for d in definitions]
    teams, crowd = grow_teams(org.support, teams=4, people=people)
    RefresherProgrammeFactory(definitions=definitions, departments=[org.support])
    RefresherProgrammeFactory(definitions=definitions[:1], departments=[teams[0]], every_months=3)
    for n, person in enumerate(crowd):
        take(quizzes[n % 3], person, wrong=n % 3)
        complete(person, definitions[(n + 1) % 3], days_ago=n * 13 % 300)


@pytest.mark.parametrize("people", [4, 30])
def test_the_whole_organizations_report_renders_in_a_bounded_number_of_queries(
    scene, client, people, django_assert_max_num_queries
):
    org, *_ = scene
    _crowd(org, people)
    client.force_login(org.admin)
    # session, user; the filter form's departments and definitions; the data stamp; the due states (one
    # statement); the weak questions; and the nav's managed departments: 8, whatever the number of people.
    with django_assert_max_num_queries(8):
        response = client.get(reverse("reviews:compliance"))
    assert response.status_code == 200
    # alice, bob, charlie on Support tickets; alice and bob on the crowd's three; the crowd on all four
    assert f"People ({3 + 2 * 3 + people * 4})" in response.content.decode()
    # Nothing written since: the figures come from the cache, under the same data stamp.
    with django_assert_max_num_queries(6):
        again = client.get(reverse("reviews:compliance"))
    assert f"People ({3 + 2 * 3 + people * 4})" in again.content.decode()


def test_a_completion_days_before_the_fixed_deadline_is_not_overdue_in_the_report(org):
    definition = QualityDefinitionFactory(department=org.support, title="Refunds")
    RefresherProgrammeFactory(
        definitions=[definition],
        departments=[org.support],
        every_months=12,
        window=RefresherProgramme.Window.FIXED,
        fixed_date=date(2025, 11, 15),
    )
    Completion.objects.create(
        person=org.bob,
        definition=definition,
        source=Completion.Source.ADMIN,
        completed_at=datetime(2026, 11, 10, 10, tzinfo=UTC),
    )
    with time_machine.travel(datetime(2026, 11, 25, 12, tzinfo=UTC)):
        rows = {r.username: r for r in compliance.build_report(user=org.admin).rows}
    assert (rows["bob"].state, rows["bob"].due_date) == (training.CURRENT, date(2027, 11, 15))


@pytest.mark.parametrize(
    ("asked", "shown"),
    [("2", 2), ("999999999999999999999999", 3), ("0", 3), ("-1", 3), ("abc", 1), ("2.0", 1), ("\x00", 1), ("", 1)],
)
def test_any_page_number_shows_the_page_paginator_would(scene, client, asked, shown):
    org, *_ = scene
    _crowd(org, 30)  # 129 rows: three pages of 50
    client.force_login(org.admin)
    response = client.get(reverse("reviews:compliance"), {"page": asked})
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Page {shown} of 3" in page
    assert "People (129)" in page
    assert page.count('data-status="') == (29 if shown == 3 else 50)
