"""Each role's way to its figures: the organization dashboard for admins (and managers, over what they manage), an
employee's team dashboard (team figures, never a colleague's own), and links that open for the person shown them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics.models import Metric, Reading
from metrics.services import rollups
from metrics.services.readings import ReadingRow, record_readings
from tests.helpers import grow_teams
from tests.metrics.factories import MetricFactory, TargetFactory
from tests.org.factories import UserFactory

OVERVIEW = reverse("metrics:overview")


@pytest.fixture
def fcr(org):
    """A per-person metric of Support: it applies to Support and to Front Line below it."""
    metric = MetricFactory(department=org.support, name="First-contact resolution", code="fcr")
    TargetFactory(metric=metric, target=80, warning=70)
    return metric


def record(org, metric, person, value, *, days_ago=1):
    when = timezone.now() - timedelta(days=days_ago)
    record_readings(
        rows=[ReadingRow(metric=metric, person=person, measured_at=when, value=value)],
        recorded_by=org.admin,
        source=Reading.Source.FORM,
    )


def test_the_admin_sees_every_department_side_by_side(client, org, fcr):
    sales_metric = MetricFactory(
        department=org.sales, name="Deals", code="deals", owner_kind=Metric.Owner.DEPARTMENT, unit=""
    )
    record(org, fcr, org.bob, 90)
    rollups.run()
    client.force_login(org.admin)
    response = client.get(OVERVIEW + "?period=day")
    rows = {row.department.code: row for row in response.context["rows"]}
    assert list(rows) == ["acme", "sales", "support", "front-line"]  # tree order, siblings by name
    assert rows["acme"].cells == []
    assert [c.metric for c in rows["support"].cells] == [fcr]
    [front_line] = rows["front-line"].cells
    assert (front_line.value, front_line.state) == (90, "on_track") and rows["front-line"].on_track == 1
    assert [c.metric for c in rows["sales"].cells] == [sales_metric]
    html = response.content.decode()
    assert "Organization dashboard" in html and "No metrics yet" not in html


def test_a_manager_sees_only_what_they_manage(client, org, fcr):
    client.force_login(org.alice)
    response = client.get(OVERVIEW)
    assert [row.department.code for row in response.context["rows"]] == ["support", "front-line"]


def test_an_employee_has_no_overview(client, org):
    client.force_login(org.bob)
    assert client.get(OVERVIEW).status_code == 404


@pytest.mark.parametrize("size", [1, 8])
def test_the_overview_runs_a_bounded_number_of_queries(client, org, fcr, django_assert_max_num_queries, size):
    teams, people = grow_teams(org.support, teams=size, people=size * 2)
    for n in range(size):
        MetricFactory(department=teams[n], owner_kind=Metric.Owner.DEPARTMENT)
    for person in people:
        record(org, fcr, person, 75)
    rollups.run()
    client.force_login(org.admin)
    # session, user, managed paths, departments, metrics, targets, figures (one for all)
    with django_assert_max_num_queries(7):
        response = client.get(OVERVIEW)
    assert len(response.context["rows"]) == 4 + size


def test_the_admins_my_metrics_points_to_the_overview_instead_of_every_department(client, org):
    client.force_login(org.admin)
    html = client.get(reverse("metrics:index")).content.decode()
    assert reverse("metrics:overview") in html
    assert "When your manager defines metrics" not in html
    assert reverse("metrics:department", args=[org.sales.pk]) not in html


def test_an_employee_finds_their_teams_dashboard_from_my_metrics(client, org):
    client.force_login(org.bob)
    html = client.get(reverse("metrics:index")).content.decode()
    assert reverse("metrics:department", args=[org.front_line.pk]) in html
    assert reverse("metrics:scorecards") not in html


def test_an_employees_breadcrumb_on_a_metric_set_above_their_team_opens_their_team(client, org, fcr):
    client.force_login(org.bob)
    response = client.get(reverse("metrics:metric", args=[fcr.pk]))
    html = response.content.decode()
    assert reverse("metrics:department", args=[org.front_line.pk]) in html
    assert reverse("metrics:department", args=[org.support.pk]) not in html
    assert client.get(reverse("metrics:department", args=[org.front_line.pk])).status_code == 200
    assert client.get(reverse("metrics:department", args=[org.support.pk])).status_code == 404


def test_a_managers_breadcrumb_opens_the_metrics_own_department(client, org, fcr):
    client.force_login(org.alice)
    html = client.get(reverse("metrics:metric", args=[fcr.pk])).content.decode()
    assert reverse("metrics:department", args=[org.support.pk]) in html


def test_a_team_dashboard_shows_the_teams_figure_never_a_colleagues_own(client, org, fcr):
    colleague = UserFactory(department=org.front_line)
    record(org, fcr, org.bob, 90)
    record(org, fcr, colleague, 61)
    rollups.run()
    client.force_login(org.bob)
    response = client.get(reverse("metrics:department", args=[org.front_line.pk]) + "?period=day")
    [card] = response.context["cards"]
    assert card.previous.value == pytest.approx(75.5)  # the team's mean of 90 and 61
    html = response.content.decode()
    assert "61" not in html and colleague.display_name not in html
    # and the colleague's own figure stays theirs on the metric page
    assert "61" not in client.get(reverse("metrics:metric", args=[fcr.pk])).content.decode()


def test_the_organization_level_without_metrics_leads_to_every_departments_figures(client, org):
    client.force_login(org.admin)
    html = client.get(reverse("metrics:department", args=[org.acme.pk])).content.decode()
    assert "No metrics at this level" in html and reverse("metrics:overview") in html


@pytest.mark.parametrize("size", [1, 8])
def test_the_organization_level_shows_the_departments_below_side_by_side(
    client, org, fcr, django_assert_max_num_queries, size
):
    grow_teams(org.sales, teams=size, people=size)
    record(org, fcr, org.bob, 90)
    rollups.run()
    client.force_login(org.admin)
    # session, user, managed paths, the department, metrics, targets, sub-departments, figures (the department
    # view); then the departments below, metrics, targets, figures (side by side)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("metrics:department", args=[org.acme.pk]) + "?period=day")
    rows = {row.department.code: row for row in response.context["below"]}
    assert len(rows) == 3 + size and "acme" not in rows  # sales, support, front line and the new teams
    assert rows["front-line"].cells[0].value == 90
    assert "No metrics yet" not in response.content.decode()


def test_a_manager_without_metrics_at_their_level_sees_no_one_elses_departments(client, org, fcr):
    client.force_login(org.alice)
    response = client.get(reverse("metrics:department", args=[org.support.pk]))
    assert response.context["below"] == []  # Support has its own metric: its dashboard shows it


def test_a_department_page_leads_to_its_metrics_dashboard(client, org):
    client.force_login(org.bob)
    html = client.get(reverse("org:department", args=[org.front_line.pk])).content.decode()
    assert reverse("metrics:department", args=[org.front_line.pk]) in html
