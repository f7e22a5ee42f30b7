"""The quality objectives register: one table per cycle, and the same rows as CSV and Excel."""

import csv
import io
from datetime import date, datetime

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.goals.factories import GoalCycleFactory, GoalFactory, QualityDefinitionFactory, record_weekly, this_year
from tests.metrics.factories import MetricFactory

HEADER = [
    "Objective",
    "Level",
    "Owner",
    "Metric",
    "Baseline",
    "Target",
    "Direction",
    "Due date",
    "Progress (%)",
    "Status",
    "Quality definition",
    "Supports",
]


@pytest.fixture
def cycle(db):
    return GoalCycleFactory()


@pytest.fixture
def goals(org, cycle):
    fcr = MetricFactory(department=org.support, name="First-contact resolution")
    record_weekly(org, fcr, [70, 75], first=date(this_year(), 1, 5))
    definition = QualityDefinitionFactory(department=org.support, title="Phone support")
    top = GoalFactory(
        cycle=cycle,
        title="Delight customers",
        owner=org.admin,
        milestones=[("Survey", 1, date(this_year(), 2, 1)), ("Act on it", 1, None)],
    )
    support = GoalFactory(
        cycle=cycle,
        department=org.support,
        title="Resolve first time",
        owner=org.alice,
        metric=fcr,
        baseline=70,
        target=80,
        direction="increase",
        due_date=date(this_year(), 12, 31),
        quality_definition=definition,
        parents=[top],
    )
    sales = GoalFactory(
        cycle=cycle, department=org.sales, title="Promise what we keep", owner=org.charlie, parents=[top]
    )
    return {"top": top, "support": support, "sales": sales}


def test_the_register_lists_the_cycles_goals_the_person_may_see(client, org, goals):
    client.force_login(org.bob)
    response = client.get(reverse("goals:register"))
    assert [row["goal"].title for row in response.context["rows"]] == ["Delight customers", "Resolve first time"]
    html = response.content.decode()
    assert "Phone support" in html and "supports Delight customers" in html


def test_an_admin_sees_every_goal(client, org, goals):
    client.force_login(org.admin)
    assert len(client.get(reverse("goals:register")).context["rows"]) == 3


def test_the_register_of_another_cycle(client, org, goals):
    old = GoalCycleFactory(name="2020", start=date(2020, 1, 1), end=date(2020, 12, 31))
    GoalFactory(cycle=old, title="Old goal")
    client.force_login(org.bob)
    url = reverse("goals:register")
    assert [row["goal"].title for row in client.get(f"{url}?cycle={old.pk}").context["rows"]] == ["Old goal"]
    assert client.get(f"{url}?cycle=999999").status_code == 404


def test_the_csv_has_a_row_per_goal_with_every_column(client, org, cycle, goals):
    client.force_login(org.alice)
    response = client.get(reverse("goals:register_csv") + f"?cycle={cycle.pk}")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="quality-objectives-{cycle.name}-' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == HEADER
    by_title = {row[0]: row for row in rows[1:]}
    assert set(by_title) == {"Delight customers", "Resolve first time"}  # alice does not see Sales' goal
    assert by_title["Resolve first time"] == [
        "Resolve first time",
        "Support",
        "Alice Archer",
        "First-contact resolution",
        "70.0",
        "80.0",
        "Increase to the target",
        f"{this_year()}-12-31",
        "50.0",
        by_title["Resolve first time"][9],
        "Phone support",
        "Delight customers",
    ]
    assert by_title["Resolve first time"][9] in {"On track", "At risk", "Off track"}
    assert by_title["Delight customers"][1:4] == ["Organization", "Ada Admin", "Milestones"]


def test_the_excel_file_opens_with_the_same_rows(client, org, cycle, goals):
    client.force_login(org.admin)
    response = client.get(reverse("goals:register_xlsx") + f"?cycle={cycle.pk}")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert sheet.title == f"Objectives {cycle.name}"
    by_title = {row[0]: row for row in rows[1:]}
    assert len(by_title) == 3
    support = by_title["Resolve first time"]
    assert support[1:7] == ("Support", "Alice Archer", "First-contact resolution", 70, 80, "Increase to the target")
    assert support[7] == datetime(this_year(), 12, 31)  # a real date cell, not text
    assert support[8] == 50
    assert by_title["Promise what we keep"][3] == "Milestones"


@pytest.mark.parametrize("size", [3, 60])
def test_the_register_takes_a_bounded_number_of_queries(client, org, cycle, goals, size, django_assert_max_num_queries):
    for _n in range(size):
        GoalFactory(
            cycle=cycle, department=org.support, owner=org.alice, parents=[goals["top"]], milestones=[("m", 1, None)]
        )
    client.force_login(org.alice)
    # session, user, managed paths, cycles, the cycle's goals, alignments, rollups, the user's department (for
    # the goals of their own chain, and the menu), the ids they may see
    with django_assert_max_num_queries(9):
        assert client.get(reverse("goals:register")).status_code == 200
    with django_assert_max_num_queries(9):
        assert client.get(reverse("goals:register_xlsx")).status_code == 200


def test_the_exports_leave_out_goals_the_person_may_not_see(client, org, cycle, goals):
    client.force_login(org.charlie)
    sheet = load_workbook(io.BytesIO(client.get(reverse("goals:register_xlsx")).content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "Delight customers",
        "Promise what we keep",
    ]
    text = client.get(reverse("goals:register_csv")).content.decode("utf-8-sig")
    assert "Resolve first time" not in text and "Promise what we keep" in text
