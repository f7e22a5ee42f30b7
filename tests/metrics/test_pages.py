"""Metric pages: dashboards read rollups in a bounded number of queries; each role gets only its own."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core import periods
from metrics.models import Metric, Reading, Target
from metrics.services import rollups
from metrics.services.readings import ReadingRow, record_readings
from tests.metrics.factories import MetricFactory, TargetFactory
from tests.org.factories import UserFactory


@pytest.fixture
def fcr(org):
    metric = MetricFactory(department=org.support, name="First-contact resolution", code="fcr")
    TargetFactory(metric=metric, target=80, warning=70)
    return metric


def record_now(org, metric, person, value, *, days_ago=0):
    when = timezone.now() - timedelta(days=days_ago, minutes=1)
    record_readings(
        rows=[ReadingRow(metric=metric, person=person, measured_at=when, value=value)],
        recorded_by=org.admin,
        source=Reading.Source.FORM,
    )


def test_my_metrics_shows_my_figure_my_teams_and_the_status(client, org, fcr):
    record_now(org, fcr, org.bob, 85, days_ago=1)
    record_now(org, fcr, org.alice, 55, days_ago=1)
    record_now(org, fcr, org.bob, 60)
    rollups.run()
    client.force_login(org.bob)
    [card] = client.get(reverse("metrics:index") + "?period=day").context["cards"]
    assert (card.judged.value, card.judged.state) == (85, "on_track")  # yesterday, the last complete day
    assert card.current.value == 60  # today so far, shown but not judged
    assert card.department_figure.value == 85  # Front Line is bob alone
    assert card.trend["values"][-2:] == [85, 60] and card.trend["target"][-1] == 80


def test_my_metrics_switches_periods(client, org, fcr):
    client.force_login(org.bob)
    for period in ("day", "week", "month"):
        response = client.get(reverse("metrics:index") + f"?period={period}")
        assert response.context["period"] == period
    assert client.get(reverse("metrics:index") + "?period=year").context["period"] == "week"


def test_an_employee_without_metrics_sees_an_explanation(client, org):
    client.force_login(org.charlie)
    assert "No metrics for you yet" in client.get(reverse("metrics:index")).content.decode()


def grow(org, metrics: int, people: int, days: int):
    created = [MetricFactory(department=org.support) for _ in range(metrics)]
    for metric in created:
        Target.objects.create(metric=metric, target=50, warning=40)
    team = [UserFactory(department=org.front_line) for _ in range(people)]
    rows = [
        ReadingRow(metric=m, person=p, measured_at=timezone.now() - timedelta(days=d, minutes=5), value=d)
        for m in created
        for p in [*team, org.bob]
        for d in range(days)
    ]
    record_readings(rows=rows, recorded_by=org.admin, source=Reading.Source.FORM)
    rollups.run()


@pytest.mark.parametrize("size", [(1, 1, 2), (6, 8, 30)])
def test_my_metrics_runs_a_bounded_number_of_queries(client, org, django_assert_max_num_queries, size):
    grow(org, *size)
    client.force_login(org.bob)
    # session, user, managed paths, department (for ancestors), metrics, targets, figures
    with django_assert_max_num_queries(8):
        response = client.get(reverse("metrics:index"))
    assert len(response.context["cards"]) == size[0]


@pytest.mark.parametrize("size", [(1, 1, 2), (6, 8, 30)])
def test_the_department_dashboard_runs_a_bounded_number_of_queries(client, org, django_assert_max_num_queries, size):
    grow(org, *size)
    client.force_login(org.alice)
    # session, user, managed paths, the department, metrics, targets, sub-departments, figures, user's department
    with django_assert_max_num_queries(10):
        response = client.get(reverse("metrics:department", args=[org.support.pk]))
    assert len(response.context["cards"]) == size[0]


def test_the_department_dashboard_puts_sub_departments_side_by_side(client, org, fcr):
    record_now(org, fcr, org.bob, 90, days_ago=1)
    rollups.run()
    client.force_login(org.alice)
    response = client.get(reverse("metrics:department", args=[org.support.pk]) + "?period=day")
    [row] = response.context["children"]
    assert row.department == org.front_line and row.cells[0].value == 90


@pytest.mark.parametrize(("who", "department"), [("bob", "support"), ("alice", "sales"), ("charlie", "support")])
def test_another_departments_dashboard_is_not_found(client, org, who, department):
    client.force_login(getattr(org, who))
    assert client.get(reverse("metrics:department", args=[getattr(org, department).pk])).status_code == 404


def test_an_employee_may_open_their_own_departments_dashboard(client, org):
    client.force_login(org.bob)
    assert client.get(reverse("metrics:department", args=[org.front_line.pk])).status_code == 200


def metric_form(org, **changes):
    return {
        "department": org.support.pk,
        "name": "Response time",
        "code": "response-time",
        "unit": "h",
        "direction": "lower",
        "aggregation": "mean",
        "ratio_scale": "1",
        "frequency": "daily",
        "owner_kind": "person",
        "decimals": "1",
        "weight": "1",
        "targets-TOTAL_FORMS": "1",
        "targets-INITIAL_FORMS": "0",
        "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": "1000",
        "targets-0-target": "4",
        "targets-0-warning": "6",
    } | changes


def test_a_manager_defines_a_metric_with_a_target(client, org):
    client.force_login(org.alice)
    response = client.post(reverse("metrics:metric_create"), metric_form(org))
    metric = Metric.objects.get(code="response-time")
    assert response.status_code == 302 and response.url == metric.get_absolute_url()
    assert list(metric.targets.values_list("target", "warning")) == [(4, 6)]


def test_a_warning_on_the_wrong_side_of_the_target_is_a_field_error(client, org):
    client.force_login(org.alice)
    response = client.post(reverse("metrics:metric_create"), metric_form(org, **{"targets-0-warning": "3"}))
    assert response.status_code == 200
    assert "Lower is better, so the warning level must be above the target (4)." in response.content.decode()
    assert 'value="Response time"' in response.content.decode()  # nothing typed is lost
    assert not Metric.objects.exists()


def test_a_manager_cannot_define_a_metric_for_another_department(client, org):
    client.force_login(org.alice)
    response = client.post(reverse("metrics:metric_create"), metric_form(org, department=org.sales.pk))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_employees_cannot_define_metrics(client, org, fcr):
    client.force_login(org.bob)
    assert client.get(reverse("metrics:metric_create")).status_code == 404
    assert client.get(reverse("metrics:metric_list")).status_code == 404
    assert client.get(reverse("metrics:metric_edit", args=[fcr.pk])).status_code == 404
    assert client.post(reverse("metrics:metric_archive", args=[fcr.pk]), {"confirmed": "yes"}).status_code == 404


def test_another_departments_metric_is_not_found(client, org, fcr):
    client.force_login(org.charlie)
    for name in ("metrics:metric", "metrics:metric_edit", "metrics:metric_archive"):
        assert client.get(reverse(name, args=[fcr.pk])).status_code in (404, 405)
    assert client.post(reverse("metrics:metric_archive", args=[fcr.pk]), {"confirmed": "yes"}).status_code == 404


def test_an_employee_sees_only_their_own_readings_on_a_metric_page(client, org, fcr):
    record_now(org, fcr, org.bob, 85)
    record_now(org, fcr, org.alice, 55)
    client.force_login(org.bob)
    readings = client.get(reverse("metrics:metric", args=[fcr.pk])).context["readings"]
    assert [r.person for r in readings] == [org.bob]


def test_archiving_asks_once_then_keeps_history_and_stops_readings(client, org, fcr):
    record_now(org, fcr, org.bob, 85)
    client.force_login(org.alice)
    html = client.post(reverse("metrics:metric_archive", args=[fcr.pk])).content.decode()
    assert "Its 1 reading and its history stay readable" in html and "Keel cannot unarchive" in html
    fcr.refresh_from_db()
    assert not fcr.is_archived  # the first POST only asks
    client.post(reverse("metrics:metric_archive", args=[fcr.pk]), {"confirmed": "yes"})
    fcr.refresh_from_db()
    assert fcr.is_archived and fcr.readings.count() == 1


def test_changing_the_aggregation_of_a_metric_with_readings_is_refused(client, org, fcr):
    record_now(org, fcr, org.bob, 85)
    client.force_login(org.alice)
    form = metric_form(
        org,
        name=fcr.name,
        code=fcr.code,
        aggregation="sum",
        direction="higher",
        unit="%",
        **{"targets-TOTAL_FORMS": "0"},
    )
    response = client.post(reverse("metrics:metric_edit", args=[fcr.pk]), form)
    assert "This metric has readings" in response.content.decode()


def reading_form(metric, person=None, **changes):
    when = timezone.localtime(timezone.now() - timedelta(hours=1), periods.organization_zone())
    return {
        "metric": metric.pk,
        "person": person.pk if person else "",
        "measured_at": when.strftime("%Y-%m-%dT%H:%M"),
        "value": "77",
        "denominator": "",
        "note": "",
    } | changes


def test_an_employee_records_a_reading_in_the_browser_form(client, org, fcr, django_capture_on_commit_callbacks):
    client.force_login(org.bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("metrics:reading_create"), reading_form(fcr, org.bob))
    assert response.status_code == 302
    assert Reading.objects.get().person == org.bob
    [card] = client.get(reverse("metrics:index") + "?period=day").context["cards"]
    assert card.current.value == 77


def test_an_employee_cannot_forge_another_person_in_the_form(client, org, fcr):
    client.force_login(org.bob)
    response = client.post(reverse("metrics:reading_create"), reading_form(fcr, org.alice))
    assert response.status_code == 200
    assert not Reading.objects.exists()


def test_a_reading_form_error_keeps_what_was_typed(client, org, fcr):
    client.force_login(org.bob)
    future = timezone.localtime(timezone.now() + timedelta(days=2), periods.organization_zone())
    response = client.post(
        reverse("metrics:reading_create"),
        reading_form(fcr, measured_at=future.strftime("%Y-%m-%dT%H:%M"), value="77.5"),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Readings cannot be in the future" in html and 'value="77.5"' in html
    assert not Reading.objects.exists()


def test_the_reading_form_offers_only_metrics_the_person_may_record(client, org, fcr):
    other = MetricFactory(department=org.sales)
    client.force_login(org.bob)
    response = client.post(reverse("metrics:reading_create"), reading_form(other))
    assert "Select a valid choice" in response.content.decode()


def test_today_lists_readings_due(client, org, fcr):
    client.force_login(org.bob)
    section = next(s for s in client.get("/").context["sections"] if s["key"] == "metrics")
    assert section["data"]["due"] == [fcr]
    record_now(org, fcr, org.bob, 80)
    section = next(s for s in client.get("/").context["sections"] if s["key"] == "metrics")
    assert section["data"]["due"] == []


def test_the_metric_list_shows_the_target_in_force_today(client, org, fcr):
    Target.objects.create(metric=fcr, valid_from=timezone.localdate() + timedelta(days=30), target=95, warning=90)
    client.force_login(org.alice)
    response = client.get(reverse("metrics:metric_list"))
    assert response.status_code == 200
    [(_metric, today)] = response.context["rows"]
    assert today.target_display == "≥ 80.0%"  # not next month's 95
