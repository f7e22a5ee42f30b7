"""The scorecard matrix: figures and statuses from rollups, totals, scores, sorting, periods, access, query bounds."""

from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from core import periods
from metrics import status as status_rules
from metrics.models import Metric, Reading, Rollup
from metrics.selectors.scorecards import DEPARTMENTS, NOT_APPLICABLE, Scorecard, build_scorecard, sort_rows
from metrics.services import rollups
from metrics.services.readings import ReadingRow, record_readings
from tests.metrics.factories import MetricFactory, TargetFactory
from tests.org.factories import DepartmentFactory, UserFactory

UTC = ZoneInfo("UTC")


def last_week() -> date:
    """The start of the latest complete ISO week: the default bucket of the page."""
    return periods.shift(periods.bucket_start(periods.today(), periods.WEEK), periods.WEEK, -1)


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def record(metric, *readings, by, override_reason=""):
    """Record (person, day, value) readings through the one reading service; person None for department metrics."""
    rows = [
        ReadingRow(metric=metric, person=person, measured_at=at(day), value=value) for person, day, value in readings
    ]
    return record_readings(rows=rows, recorded_by=by, source=Reading.Source.FORM, override_reason=override_reason)


def metric(department, name, *, target=None, warning=None, **fields):
    made = MetricFactory(department=department, name=name, code=name.lower().replace(" ", "-"), **fields)
    if target is not None:
        TargetFactory(metric=made, target=target, warning=warning)
    return made


def make_scene(org):
    """Support's week: alice on track everywhere, bob at risk on FCR and off track on handle time.

    Columns, ancestors first: Attendance (Acme, per person), Average handle time, Customer satisfaction (Support's
    department metric), First-contact resolution (Support, weight 2), Calls (Front Line, no target). A Sales metric
    must not show.
    """
    week = last_week()
    m = SimpleNamespace(
        attendance=metric(org.acme, "Attendance", target=95, warning=90),
        aht=metric(
            org.support, "Average handle time", target=5, warning=7, unit="min", direction=Metric.Direction.LOWER
        ),
        csat=metric(org.support, "Customer satisfaction", target=4.5, unit="", owner_kind=Metric.Owner.DEPARTMENT),
        fcr=metric(org.support, "First-contact resolution", target=90, warning=80, weight=2),
        calls=metric(org.front_line, "Calls", unit="", aggregation=Metric.Aggregation.SUM),
        deals=metric(org.sales, "Deals", target=10),
    )
    record(m.attendance, (org.alice, week, 100), (org.bob, week, 96), by=org.admin)
    record(m.aht, (org.alice, week, 4), (org.bob, week, 8), by=org.admin)
    record(m.csat, (None, week, 4.6), by=org.admin)
    record(m.fcr, (org.alice, week, 95), (org.bob, week, 85), by=org.admin)
    record(m.calls, (org.bob, week, 20), (org.bob, week + timedelta(days=1), 22), by=org.admin)
    record(m.deals, (org.charlie, week, 12), by=org.admin)
    rollups.run()
    return SimpleNamespace(org=org, week=week, metrics=m)


@pytest.fixture
def scene(org):
    return make_scene(org)


def url(department, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("metrics:scorecard", args=[department.pk]) + (f"?{query}" if query else "")


def by_name(rows):
    return {r.name: r for r in rows}


def cells(card, row):
    """{metric name: (display, state)} of a row."""
    return {c.name: (f.display, f.state) for c, f in zip(card.columns, row.figures, strict=True)}


# The matrix


def test_it_shows_the_metrics_on_the_departments_line(scene):
    card = build_scorecard(department=scene.org.support, period="week", start=scene.week)
    assert [c.name for c in card.columns] == [
        "Attendance",
        "Average handle time",
        "Customer satisfaction",
        "First-contact resolution",
        "Calls",
    ]


def test_it_gives_each_person_their_figures_and_statuses(scene):
    card = build_scorecard(department=scene.org.support, period="week", start=scene.week)
    people = by_name(card.people)
    assert list(people) == ["Alice Archer", "Bob Baker"]
    assert cells(card, people["Bob Baker"]) == {
        "Attendance": ("96.0%", status_rules.ON_TRACK),
        "Average handle time": ("8.0 min", status_rules.OFF_TRACK),
        "Customer satisfaction": ("", NOT_APPLICABLE),  # a department metric: no person figure
        "First-contact resolution": ("85.0%", status_rules.AT_RISK),
        "Calls": ("42.0", status_rules.NO_TARGET),
    }
    # Calls belongs to Front Line: it does not apply to alice, who works in Support itself.
    assert cells(card, people["Alice Archer"])["Calls"] == ("", NOT_APPLICABLE)


def test_it_scores_people_by_weighted_status(scene):
    card = build_scorecard(department=scene.org.support, period="week", start=scene.week)
    people = by_name(card.people)
    # alice: on track on attendance (1), handle time (1) and FCR (weight 2): 4 of 4.
    assert people["Alice Archer"].score == 1.0 and people["Alice Archer"].on_target
    # bob: attendance 1, handle time off 0, FCR at risk ½ × 2 = 1; 2 of 4. Calls has no target: left out.
    assert people["Bob Baker"].score == 0.5 and not people["Bob Baker"].on_target
    assert people["Bob Baker"].score_display == "50%"


def test_a_metric_without_readings_scores_nothing(scene):
    metric(scene.org.support, "Callbacks", target=1)
    card = build_scorecard(department=scene.org.support, period="week", start=scene.week)
    alice = by_name(card.people)["Alice Archer"]
    assert cells(card, alice)["Callbacks"] == ("–", status_rules.NO_DATA)
    assert alice.score == 0.8 and not alice.on_target  # 4 of 5


def test_the_total_row_is_the_departments_own_figure(scene):
    card = build_scorecard(department=scene.org.support, period="week", start=scene.week)
    assert cells(card, card.total) == {
        "Attendance": ("98.0%", status_rules.ON_TRACK),
        "Average handle time": ("6.0 min", status_rules.AT_RISK),
        "Customer satisfaction": ("4.6", status_rules.ON_TRACK),
        "First-contact resolution": ("90.0%", status_rules.ON_TRACK),
        "Calls": ("42.0", status_rules.NO_TARGET),
    }


def test_sub_department_rows_show_subtree_figures(scene):
    card = build_scorecard(department=scene.org.support, period="week", start=scene.week)
    assert [r.name for r in card.rows(DEPARTMENTS)] == ["Front Line"]
    assert cells(card, card.departments[0]) == {
        "Attendance": ("96.0%", status_rules.ON_TRACK),
        "Average handle time": ("8.0 min", status_rules.OFF_TRACK),
        "Customer satisfaction": ("", NOT_APPLICABLE),  # Support's own metric: nothing is recorded below it
        "First-contact resolution": ("85.0%", status_rules.AT_RISK),
        "Calls": ("42.0", status_rules.NO_TARGET),
    }


def test_status_uses_the_target_in_force_at_the_start_of_the_period(scene):
    TargetFactory(metric=scene.metrics.fcr, valid_from=scene.week, target=80, warning=70)
    card = build_scorecard(department=scene.org.support, period="week", start=scene.week)
    assert cells(card, by_name(card.people)["Bob Baker"])["First-contact resolution"][1] == status_rules.ON_TRACK


def test_it_reads_rollups_not_readings(scene):
    Reading.objects.all().delete()  # rollups are what the scorecard reads
    card = build_scorecard(department=scene.org.support, period="week", start=scene.week)
    assert cells(card, card.total)["First-contact resolution"] == ("90.0%", status_rules.ON_TRACK)
    Rollup.objects.all().delete()
    card = build_scorecard(department=scene.org.support, period="week", start=scene.week)
    assert cells(card, card.total)["First-contact resolution"] == ("–", status_rules.NO_DATA)


def test_it_builds_months_and_days_too(scene):
    month = build_scorecard(department=scene.org.support, period="month", start=scene.week)
    assert month.start == scene.week.replace(day=1)
    day = build_scorecard(department=scene.org.support, period="day", start=scene.week + timedelta(days=1))
    assert cells(day, by_name(day.people)["Bob Baker"])["Calls"] == ("22.0", status_rules.NO_TARGET)


def test_archived_metrics_and_people_who_left_are_not_shown(scene):
    scene.metrics.calls.archived_at = scene.metrics.calls.created_at
    scene.metrics.calls.save()
    scene.org.bob.is_active = False
    scene.org.bob.save()
    card = build_scorecard(department=scene.org.support, period="week", start=scene.week)
    assert "Calls" not in [c.name for c in card.columns]
    assert [r.name for r in card.people] == ["Alice Archer"]


def test_the_json_round_trip_keeps_everything(scene):
    card = build_scorecard(department=scene.org.support, period="week", start=scene.week)
    assert Scorecard.from_json(card.to_json()) == card


# Sorting


def test_it_sorts_by_name_score_or_a_metric_with_blanks_last(scene):
    card = build_scorecard(department=scene.org.support, period="week", start=scene.week)
    fcr, calls = (f"m{scene.metrics.fcr.pk}", f"m{scene.metrics.calls.pk}")
    assert [r.name for r in sort_rows(card.people, card.columns, "-name")] == ["Bob Baker", "Alice Archer"]
    assert [r.name for r in sort_rows(card.people, card.columns, "score")] == ["Bob Baker", "Alice Archer"]
    assert [r.name for r in sort_rows(card.people, card.columns, "-score")] == ["Alice Archer", "Bob Baker"]
    assert [r.name for r in sort_rows(card.people, card.columns, fcr)] == ["Bob Baker", "Alice Archer"]
    assert [r.name for r in sort_rows(card.people, card.columns, f"-{calls}")] == ["Bob Baker", "Alice Archer"]
    assert [r.name for r in sort_rows(card.people, card.columns, calls)] == ["Bob Baker", "Alice Archer"]


def test_the_page_sorts_and_marks_the_sorted_column(client, scene):
    client.force_login(scene.org.alice)
    response = client.get(url(scene.org.support, sort="-score"))
    assert [r.name for r in response.context["rows"]] == ["Alice Archer", "Bob Baker"]
    score = next(h for h in response.context["headers"] if h["key"] == "score")
    assert score["aria_sort"] == "descending" and "sort=score" in score["query"]


def test_an_unknown_sort_falls_back_to_names(client, scene):
    client.force_login(scene.org.alice)
    response = client.get(url(scene.org.support, sort="m999999"))
    assert response.status_code == 200
    assert [r.name for r in response.context["rows"]] == ["Alice Archer", "Bob Baker"]


# The page and its periods


def test_a_manager_sees_the_matrix_with_statuses_in_words(client, scene):
    client.force_login(scene.org.alice)
    response = client.get(url(scene.org.support))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Bob Baker" in html and "85.0%" in html and "(At risk)" in html and "(Off track)" in html
    assert "All of Support" in html and "Score: each metric with a target counts with its weight" in html


def test_it_defaults_to_the_latest_complete_week(client, scene):
    client.force_login(scene.org.alice)
    selection = client.get(url(scene.org.support)).context["selection"]
    assert (selection.period, selection.start) == ("week", scene.week)


def test_previous_and_next_move_one_period(client, scene):
    client.force_login(scene.org.alice)
    selection = client.get(url(scene.org.support)).context["selection"]
    assert selection.previous.start == scene.week - timedelta(weeks=1)
    assert selection.next.start == scene.week + timedelta(weeks=1)
    current = client.get(url(scene.org.support, start=selection.next.start)).context["selection"]
    assert current.next is None  # the current week is the last one there is
    html = client.get(url(scene.org.support, start=current.start)).content.decode()
    assert 'rel="next"' not in html and "has not ended yet" in html


def test_a_future_date_shows_the_current_period(client, scene):
    client.force_login(scene.org.alice)
    selection = client.get(url(scene.org.support, start="2999-01-01")).context["selection"]
    assert selection.start == periods.bucket_start(periods.today(), "week")


def test_switching_to_months_keeps_the_date(client, scene):
    client.force_login(scene.org.alice)
    response = client.get(url(scene.org.support, period="month", start=scene.week.isoformat()))
    card = response.context["scorecard"]
    assert (card.period, card.start) == ("month", scene.week.replace(day=1))
    month_link = next(link for link in response.context["period_links"] if link["label"] == "Month")
    assert month_link["active"]


@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_the_first_accepted_day_has_no_previous_period(client, scene, period):
    client.force_login(scene.org.alice)
    response = client.get(url(scene.org.support, period=period, start="1970-01-01"))
    assert response.status_code == 200
    assert response.context["selection"].previous is None and 'rel="prev"' not in response.content.decode()


def test_a_department_without_metrics_says_how_to_fill_its_scorecard(client, scene):
    client.force_login(scene.org.charlie)
    Metric.objects.filter(pk__in=[scene.metrics.deals.pk, scene.metrics.attendance.pk]).update(
        archived_at=scene.metrics.deals.created_at
    )  # Acme's Attendance would apply to Sales too
    html = client.get(url(scene.org.sales)).content.decode()
    assert "No active metric applies to Sales yet" in html


def test_malformed_filters_fall_back_to_defaults(client, scene):
    client.force_login(scene.org.alice)
    response = client.get(url(scene.org.support, period="year", start="yesterday", rows="cats", page="x"))
    assert response.status_code == 200
    assert response.context["selection"].period == "week" and response.context["selection"].rows == "people"


def test_the_sub_department_view_lists_children(client, scene):
    client.force_login(scene.org.alice)
    response = client.get(url(scene.org.support, rows="departments"))
    assert [r.name for r in response.context["rows"]] == ["Front Line"]


def test_the_close_form_shows_only_for_ended_periods(client, scene):
    client.force_login(scene.org.alice)
    assert client.get(url(scene.org.support)).context["close_form"] is not None
    this_week = periods.bucket_start(periods.today(), "week")
    assert client.get(url(scene.org.support, start=this_week)).context["close_form"] is None


def test_the_index_lists_the_departments_a_manager_manages(client, scene):
    client.force_login(scene.org.alice)
    response = client.get(reverse("metrics:scorecards"))
    assert [d.name for d in response.context["departments"]] == ["Support", "Front Line"]
    html = response.content.decode()
    assert reverse("metrics:scorecard", args=[scene.org.support.pk]) in html
    assert reverse("metrics:scorecard", args=[scene.org.sales.pk]) not in html


def test_an_employee_gets_no_scorecards_on_the_index(client, scene):
    client.force_login(scene.org.bob)
    response = client.get(reverse("metrics:scorecards"))
    assert response.status_code == 200
    assert response.context["departments"] == []
    assert "for the managers of a department" in response.content.decode()


# Access


@pytest.mark.parametrize("name", ["scorecard", "scorecard_csv", "scorecard_xlsx"])
def test_a_manager_cannot_open_another_departments_scorecard(client, scene, name):
    client.force_login(scene.org.charlie)
    assert client.get(reverse(f"metrics:{name}", args=[scene.org.support.pk])).status_code == 404


@pytest.mark.parametrize("name", ["scorecard", "scorecard_csv", "scorecard_xlsx"])
def test_a_manager_cannot_open_the_department_above(client, scene, name):
    client.force_login(scene.org.alice)
    assert client.get(reverse(f"metrics:{name}", args=[scene.org.acme.pk])).status_code == 404


@pytest.mark.parametrize("name", ["scorecard", "scorecard_csv", "scorecard_xlsx"])
@pytest.mark.parametrize("department", ["front_line", "support"])
def test_an_employee_cannot_open_any_scorecard_not_even_their_own_departments(client, scene, name, department):
    client.force_login(scene.org.bob)
    pk = getattr(scene.org, department).pk
    assert client.get(reverse(f"metrics:{name}", args=[pk])).status_code == 404


def test_a_manager_can_open_a_department_below_theirs(client, scene):
    client.force_login(scene.org.alice)
    assert client.get(url(scene.org.front_line)).status_code == 200


def test_an_admin_can_open_any_scorecard(client, scene):
    client.force_login(scene.org.admin)
    assert client.get(url(scene.org.sales)).status_code == 200
    assert client.get(url(scene.org.acme)).status_code == 200


def test_a_missing_department_is_404(client, scene):
    client.force_login(scene.org.admin)
    assert client.get(reverse("metrics:scorecard", args=[999999])).status_code == 404


@pytest.mark.parametrize("name", ["scorecard", "scorecard_csv", "scorecard_xlsx"])
def test_anonymous_people_are_sent_to_sign_in(client, scene, name):
    response = client.get(reverse(f"metrics:{name}", args=[scene.org.support.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_anonymous_people_are_sent_to_sign_in_from_the_index(client, db):
    response = client.get(reverse("metrics:scorecards"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# Query bounds


def grow(scene, *, people: int, teams: int, extra_metrics: int):
    """More of everything below Support: teams, people with readings on every metric, more metrics."""
    org, week = scene.org, scene.week
    new_metrics = [metric(org.support, f"Extra {n}", target=50, warning=40) for n in range(extra_metrics)]
    departments = [org.front_line] + [DepartmentFactory(name=f"Team {n}", parent=org.support) for n in range(teams)]
    staff = [UserFactory(username=f"agent{n}", department=departments[n % len(departments)]) for n in range(people)]
    for m in [scene.metrics.fcr, scene.metrics.aht, scene.metrics.attendance, *new_metrics]:
        record(m, *[(person, week, 40 + n % 60) for n, person in enumerate(staff)], by=org.admin)
    rollups.run()


def page_shown(response):
    """The matrix page's own `rows` (a Page), not the list its table was rendered with (cached apart from it)."""
    return next(context["rows"] for context in response.context if "table" in context)


# Queries of the matrix page for a manager (the expected list):
#   1 session, 2 the user, 3 the departments the user manages (access), 4 the department,
#   5 the closed periods concerning the bucket, then its cache key: 6 the data stamp; only when nothing is cached,
#   the build: 7 metrics, 8 their targets, 9 the people, 10 the sub-departments, 11 the rollups of all of them;
#   and 12 the user's own department (navigation menu).
MATRIX_QUERIES = 12
MATRIX_QUERIES_CACHED = MATRIX_QUERIES - 5


@pytest.mark.parametrize("rows", ["people", "departments"])
def test_the_matrix_runs_a_fixed_number_of_queries_on_small_data(client, scene, django_assert_max_num_queries, rows):
    client.force_login(scene.org.alice)
    with django_assert_max_num_queries(MATRIX_QUERIES):
        response = client.get(url(scene.org.support, rows=rows))
    assert response.status_code == 200
    with django_assert_max_num_queries(MATRIX_QUERIES_CACHED):
        assert client.get(url(scene.org.support, rows=rows)).status_code == 200


@pytest.mark.parametrize("rows", ["people", "departments"])
def test_the_matrix_runs_the_same_number_of_queries_on_larger_data(client, scene, django_assert_max_num_queries, rows):
    grow(scene, people=60, teams=4, extra_metrics=6)
    client.force_login(scene.org.alice)
    with django_assert_max_num_queries(MATRIX_QUERIES):
        response = client.get(url(scene.org.support, rows=rows))
    assert response.status_code == 200
    shown = 62 if rows == "people" else scene.org.support.children.count()
    assert page_shown(response).paginator.count == shown and len(response.context["scorecard"].columns) == 11
    with django_assert_max_num_queries(MATRIX_QUERIES_CACHED):
        assert client.get(url(scene.org.support, rows=rows)).status_code == 200


def test_a_long_matrix_is_paged_with_the_total_on_every_page(client, scene):
    grow(scene, people=120, teams=0, extra_metrics=0)
    client.force_login(scene.org.alice)
    first = client.get(url(scene.org.support))
    assert len(page_shown(first).object_list) == 100 and "All of Support" in first.content.decode()
    second = client.get(url(scene.org.support, page=2))
    assert len(page_shown(second).object_list) == 22 and "All of Support" in second.content.decode()


def test_the_index_runs_a_fixed_number_of_queries(client, scene, django_assert_max_num_queries):
    grow(scene, people=5, teams=8, extra_metrics=0)
    client.force_login(scene.org.alice)
    # 1 session, 2 user, 3 managed paths, 4 departments, 5 closed periods, 6 the user's awards, 7 navigation.
    with django_assert_max_num_queries(7):
        assert client.get(reverse("metrics:scorecards")).status_code == 200
