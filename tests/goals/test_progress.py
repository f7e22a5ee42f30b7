"""Goal progress: from rollups, milestones or weighted children; status against time; forecast; in bulk."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.utils import timezone

from goals.models import Alignment, GoalCycle
from goals.selectors import progress
from goals.services import goals as goal_services
from metrics import status
from metrics.models import Metric, Reading
from metrics.services import rollups
from metrics.services.readings import ReadingRow, record_readings
from tests.goals.factories import GoalCycleFactory, GoalFactory, record_weekly
from tests.metrics.factories import MetricFactory

MONDAY = date(2025, 1, 6)


@pytest.fixture
def cycle(db):
    return GoalCycleFactory(name="2025", start=date(2025, 1, 1), end=date(2025, 12, 31))


@pytest.fixture
def fcr(org):
    return MetricFactory(department=org.support, name="First-contact resolution")


def progress_of(cycle, goal, on):
    return progress.for_cycle(cycle, on=on).progress[goal.pk]


def test_percent_between_follows_the_direction():
    assert progress.percent_between(85, 80, 90) == 50
    assert progress.percent_between(4, 5, 3) == 50  # decrease from 5 to 3
    assert progress.percent_between(95, 80, 90) == 100
    assert progress.percent_between(70, 80, 90) == 0
    assert progress.percent_between(None, 80, 90) is None
    assert progress.percent_between(85, 80, 80) is None


def test_a_metric_goal_progresses_with_its_latest_rollup(org, cycle, fcr):
    record_weekly(org, fcr, [70, 72, 74, 76], first=MONDAY)
    goal = GoalFactory(cycle=cycle, department=org.front_line, metric=fcr, baseline=70, target=80, direction="increase")
    result = progress_of(cycle, goal, date(2025, 2, 3))  # the Monday after the last week
    assert (result.value, result.value_on, result.source) == (76, date(2025, 1, 27), progress.METRIC)
    assert result.percent == pytest.approx(60)


def test_a_decrease_goal_progresses_as_the_figure_falls(org, cycle):
    reply_time = MetricFactory(department=org.support, unit="h", direction=Metric.Direction.LOWER)
    record_weekly(org, reply_time, [6, 5.5, 5], first=MONDAY)
    goal = GoalFactory(
        cycle=cycle, department=org.support, metric=reply_time, baseline=6, target=4, direction="decrease"
    )
    assert progress_of(cycle, goal, date(2025, 2, 1)).percent == pytest.approx(50)


def test_an_organization_goal_follows_the_metrics_department(org, cycle, fcr):
    record_weekly(org, fcr, [70, 90], first=MONDAY)
    goal = GoalFactory(cycle=cycle, metric=fcr, baseline=70, target=110, direction="increase")
    assert progress_of(cycle, goal, date(2025, 2, 1)).percent == pytest.approx(50)


def test_a_team_goal_on_a_department_metric_uses_the_departments_figure(org, cycle):
    csat = MetricFactory(department=org.support, owner_kind=Metric.Owner.DEPARTMENT)
    record_weekly(org, csat, [80, 84], first=MONDAY, person=org.alice)
    goal = GoalFactory(
        cycle=cycle, department=org.front_line, metric=csat, baseline=80, target=88, direction="increase"
    )
    assert progress_of(cycle, goal, date(2025, 2, 1)).percent == pytest.approx(50)


def test_readings_before_the_cycle_do_not_count(org, cycle, fcr):
    record_weekly(org, fcr, [99], first=date(2024, 12, 2))
    goal = GoalFactory(cycle=cycle, department=org.support, metric=fcr, baseline=70, target=80, direction="increase")
    result = progress_of(cycle, goal, date(2025, 2, 1))
    assert (result.percent, result.state) == (None, status.NO_DATA)


def test_milestone_progress_is_the_weighted_share_done(org, cycle):
    goal = GoalFactory(cycle=cycle, milestones=[("Plan", 1, date(2025, 2, 1)), ("Build", 3, None)])
    result = progress_of(cycle, goal, date(2025, 3, 1))
    assert (result.percent, result.source) == (25, progress.MILESTONES)


def test_a_parent_weighs_its_childrens_progress(org, cycle):
    parent = GoalFactory(cycle=cycle, milestones=[("Own measure", 1, None)])
    done = GoalFactory(cycle=cycle, department=org.support, milestones=[("All", 1, date(2025, 2, 1))])
    open_ = GoalFactory(cycle=cycle, department=org.sales, milestones=[("Nothing yet", 1, None)])
    Alignment.objects.create(parent=parent, child=done, weight=3)
    Alignment.objects.create(parent=parent, child=open_, weight=1)
    result = progress_of(cycle, parent, date(2025, 3, 1))
    assert (result.percent, result.source) == (75, progress.CHILDREN)


def test_weights_default_to_equal_and_grandchildren_count_through_their_parent(org, cycle):
    top = GoalFactory(cycle=cycle)
    middle = GoalFactory(cycle=cycle, department=org.support, parents=[top])
    GoalFactory(cycle=cycle, department=org.front_line, parents=[middle], milestones=[("x", 1, date(2025, 2, 1))])
    GoalFactory(cycle=cycle, department=org.sales, parents=[top], milestones=[("y", 1, None)])
    assert progress_of(cycle, top, date(2025, 3, 1)).percent == 50


def test_a_parent_whose_children_have_no_progress_keeps_its_own(org, cycle):
    parent = GoalFactory(cycle=cycle, milestones=[("Half", 1, date(2025, 2, 1)), ("Other half", 1, None)])
    GoalFactory(cycle=cycle, department=org.support, parents=[parent])  # no measure at all
    result = progress_of(cycle, parent, date(2025, 3, 1))
    assert (result.percent, result.source) == (50, progress.MILESTONES)


def test_a_circle_in_bad_data_does_not_recurse_forever(org, cycle):
    a = GoalFactory(cycle=cycle, department=org.support, milestones=[("x", 1, date(2025, 2, 1))])
    b = GoalFactory(cycle=cycle, department=org.front_line, parents=[a], milestones=[("y", 1, None)])
    Alignment.objects.create(parent=b, child=a)
    computed = progress.for_cycle(cycle, on=date(2025, 3, 1))
    assert {computed.progress[a.pk].percent, computed.progress[b.pk].percent} <= {0, 100}


@pytest.mark.parametrize(
    ("percent", "expected", "state"),
    [
        (50, 55, status.ON_TRACK),
        (50, 60, status.ON_TRACK),
        (50, 70, status.AT_RISK),
        (50, 75, status.AT_RISK),
        (50, 76, status.OFF_TRACK),
        (100, 100, status.ON_TRACK),
        (None, 50, status.NO_DATA),
    ],
)
def test_status_compares_progress_with_the_time_gone(percent, expected, state):
    assert progress.status_for(percent, expected) == state


def test_the_time_gone_runs_from_the_cycles_start_to_the_due_date():
    start = date(2025, 1, 1)
    assert progress.expected_share(start=start, due=date(2025, 1, 11), on=date(2025, 1, 6)) == 50
    assert progress.expected_share(start=start, due=date(2025, 1, 11), on=date(2025, 3, 1)) == 100
    assert progress.expected_share(start=start, due=date(2025, 1, 11), on=date(2024, 12, 1)) == 0


def test_a_goal_behind_its_time_is_off_track(org, cycle):
    goal = GoalFactory(cycle=cycle, due_date=date(2025, 6, 30), milestones=[("a", 1, date(2025, 2, 1)), ("b", 3, None)])
    assert progress_of(cycle, goal, date(2025, 2, 15)).state == status.ON_TRACK  # 25% done, 25% gone
    assert progress_of(cycle, goal, date(2025, 3, 25)).state == status.AT_RISK  # 25% done, 46% gone
    assert progress_of(cycle, goal, date(2025, 6, 1)).state == status.OFF_TRACK  # 25% done, 84% gone


def test_the_forecast_extends_the_weekly_trend_to_the_due_date(org, cycle, fcr):
    record_weekly(org, fcr, [70, 72, 74, 76], first=MONDAY)  # +2 a week
    goal = GoalFactory(
        cycle=cycle,
        department=org.support,
        metric=fcr,
        baseline=70,
        target=90,
        direction="increase",
        due_date=date(2025, 2, 24),
    )  # 4 weeks after the last bucket
    result = progress_of(cycle, goal, date(2025, 2, 1))
    assert result.forecast == pytest.approx(84)
    assert result.forecast_percent == pytest.approx(70)


def test_there_is_no_forecast_from_fewer_than_three_figures(org, cycle, fcr):
    record_weekly(org, fcr, [70, 72], first=MONDAY)
    goal = GoalFactory(cycle=cycle, department=org.support, metric=fcr, baseline=60, target=90, direction="increase")
    assert progress_of(cycle, goal, date(2025, 2, 1)).forecast is None


def test_the_forecast_stays_within_the_metrics_valid_range(org, cycle):
    reply_time = MetricFactory(department=org.support, unit="h", direction="lower", min_value=0)
    record_weekly(org, reply_time, [6, 4, 2], first=MONDAY)  # -2 hours a week
    goal = GoalFactory(
        cycle=cycle, department=org.support, metric=reply_time, baseline=6, target=1, direction="decrease"
    )
    assert progress_of(cycle, goal, date(2025, 2, 1)).forecast == 0


def test_a_closed_cycle_shows_the_frozen_progress(org, cycle, fcr):
    record_weekly(org, fcr, [70, 80], first=MONDAY)
    goal = GoalFactory(
        cycle=cycle, department=org.support, metric=fcr, baseline=70, target=90, direction="increase", final_progress=30
    )
    GoalCycle.objects.filter(pk=cycle.pk).update(closed_at=timezone.now())
    cycle.refresh_from_db()
    result = progress_of(cycle, goal, date(2025, 2, 1))
    assert (result.percent, result.source) == (30, progress.FINAL)


@pytest.mark.parametrize("goals", [3, 60])
def test_a_whole_cycle_takes_three_queries(org, cycle, fcr, django_assert_num_queries, goals):
    record_weekly(org, fcr, [70, 72, 74], first=MONDAY)
    top = GoalFactory(cycle=cycle, metric=fcr, baseline=60, target=80, direction="increase")
    for n in range(goals):
        GoalFactory(
            cycle=cycle,
            department=org.support,
            parents=[top],
            **(
                {"metric": fcr, "baseline": 60, "target": 80, "direction": "increase"}
                if n % 2
                else {"milestones": [("m", 1, date(2025, 1, 20))]}
            ),
        )
    # goals with their milestone sums, alignments, the rollups of every metric goal
    with django_assert_num_queries(3):
        computed = progress.for_cycle(cycle, on=date(2025, 2, 1))
    assert len(computed.progress) == goals + 1


def test_the_chart_shows_milestones_reached_week_by_week(org, cycle):
    goal = GoalFactory(
        cycle=cycle,
        due_date=date(2025, 2, 2),
        milestones=[("a", 1, date(2025, 1, 8)), ("b", 1, date(2025, 1, 20)), ("c", 2, None)],
    )
    computed = progress.for_cycle(cycle, on=date(2025, 1, 22))
    chart = progress.history(
        goal, computed=computed, milestones=progress.milestones_of([goal.pk]), on=date(2025, 1, 22)
    )
    assert chart["starts"] == ["2024-12-30", "2025-01-06", "2025-01-13", "2025-01-20", "2025-01-27"]
    assert chart["progress"] == [0, 25, 25, 50, None]
    assert chart["expected"][-1] == 100


def test_a_parents_chart_weighs_its_childrens_history(org, cycle, fcr):
    record_weekly(org, fcr, [70, 75, 80], first=MONDAY)
    top = GoalFactory(cycle=cycle, due_date=date(2025, 2, 9))
    GoalFactory(
        cycle=cycle, department=org.support, parents=[top], metric=fcr, baseline=70, target=80, direction="increase"
    )
    GoalFactory(cycle=cycle, department=org.sales, parents=[top], milestones=[("a", 1, date(2025, 1, 7))])
    computed = progress.for_cycle(cycle, on=date(2025, 1, 29))
    chart = progress.history(
        top, computed=computed, milestones=progress.milestones_of(computed.goals), on=date(2025, 1, 29)
    )
    # weeks of 30 Dec (nothing yet: the milestone alone, 0%), 6 Jan (fcr 70: 0%, milestone done), 13 Jan
    # (fcr 75: 50%), 20 Jan (fcr 80: 100%), 27 Jan (now), 3 Feb (future)
    assert chart["progress"] == [0, 50, 75, 100, 100, None]
    assert chart["forecast"] == [None] * 6  # a forecast belongs to goals measured by their own metric


def record_on(org, metric, readings):
    """Readings {day: value} recorded at noon UTC by bob, then a rollup run."""
    rows = [
        ReadingRow(
            metric=metric,
            person=org.bob if metric.per_person else None,
            measured_at=datetime.combine(day, time(12), UTC),
            value=value,
        )
        for day, value in readings.items()
    ]
    record_readings(rows=rows, recorded_by=org.admin, source=Reading.Source.FORM)
    rollups.run()


@pytest.fixture
def q3(db):
    return GoalCycleFactory(name="2026-Q3", start=date(2026, 7, 1), end=date(2026, 9, 30))


def test_closing_a_cycle_freezes_only_what_lies_inside_its_dates(org, q3, fcr):
    record_on(org, fcr, {date(2026, 9, 28): 80, date(2026, 10, 2): 100, date(2026, 10, 3): 100})
    goal = GoalFactory(cycle=q3, department=org.support, metric=fcr, baseline=50, target=90, direction="increase")
    assert progress_of(q3, goal, date(2026, 11, 25)).percent == pytest.approx(75)  # the week of 28 Sep, cut
    goal_services.close_cycle(cycle=q3, by=org.admin, on=date(2026, 11, 25))
    goal.refresh_from_db()
    assert goal.final_progress == 75


def test_the_first_week_is_cut_at_the_cycles_start(org, q3, fcr):
    record_on(org, fcr, {date(2026, 6, 29): 50, date(2026, 7, 1): 70})  # 1 Jul is a Wednesday
    goal = GoalFactory(cycle=q3, department=org.support, metric=fcr, baseline=50, target=90, direction="increase")
    result = progress_of(q3, goal, date(2026, 7, 6))
    assert (result.value, result.value_on, result.percent) == (70, date(2026, 7, 1), pytest.approx(50))


def test_a_goal_due_mid_month_on_a_monthly_metric_counts_only_days_up_to_its_due_date(org, q3):
    monthly = MetricFactory(department=org.support, frequency=Metric.Frequency.MONTHLY)
    record_on(org, monthly, {date(2026, 9, 10): 80, date(2026, 9, 20): 100})
    goal = GoalFactory(
        cycle=q3,
        department=org.support,
        metric=monthly,
        baseline=50,
        target=90,
        direction="increase",
        due_date=date(2026, 9, 15),
    )
    assert progress_of(q3, goal, date(2026, 9, 16)).percent == pytest.approx(75)


def test_the_forecast_uses_only_what_lies_inside_the_goal_dates(org, q3, fcr):
    record_on(
        org,
        fcr,
        {
            date(2026, 9, 14): 60,
            date(2026, 9, 21): 70,
            date(2026, 9, 28): 80,
            date(2026, 10, 1): 0,
            date(2026, 10, 2): 0,
        },
    )
    goal = GoalFactory(cycle=q3, department=org.support, metric=fcr, baseline=50, target=90, direction="increase")
    result = progress_of(q3, goal, date(2026, 10, 5))
    assert result.value == 80
    assert result.forecast == pytest.approx(80 + 20 / 7)  # +10 a week, read at 30 Sep; the zeros are October's


def test_a_monday_reading_does_not_stand_for_its_whole_week(org, fcr):
    cycle = GoalCycleFactory(name="2026-H2", start=date(2026, 7, 1), end=date(2026, 12, 31))
    record_on(org, fcr, {date(2026, 11, 18): 77.5})
    goal = GoalFactory(cycle=cycle, department=org.support, metric=fcr, baseline=50, target=90, direction="increase")
    monday = date(2026, 11, 23)
    before = progress_of(cycle, goal, monday).percent
    record_on(org, fcr, {monday: 99})
    after = progress_of(cycle, goal, monday)
    assert after.percent == before == pytest.approx(68.75)  # last week's figure: the week so far is not judged
    assert progress_of(cycle, goal, monday + timedelta(days=7)).percent == pytest.approx(100)


def test_a_figure_is_judged_against_the_time_gone_when_its_period_was_complete(org):
    year = GoalCycleFactory(name="2026", start=date(2026, 1, 1), end=date(2026, 12, 31))
    monthly = MetricFactory(department=org.support, frequency=Metric.Frequency.MONTHLY)
    record_on(org, monthly, {date(2026, 10, 15): 80})
    goal = GoalFactory(cycle=year, department=org.support, metric=monthly, baseline=50, target=90, direction="increase")
    result = progress_of(year, goal, date(2026, 11, 30))
    assert (result.percent, result.value_on) == (pytest.approx(75), date(2026, 10, 1))  # October, complete
    assert result.expected == pytest.approx(304 / 364 * 100)  # the time gone by 1 November, not 30 November
    assert result.state == status.ON_TRACK


def test_a_figure_nobody_updated_since_january_is_judged_against_the_time_gone_by_now(org):
    year = GoalCycleFactory(name="2026", start=date(2026, 1, 1), end=date(2026, 12, 31))
    monthly = MetricFactory(department=org.support, frequency=Metric.Frequency.MONTHLY)
    record_on(org, monthly, {date(2026, 1, 15): 60})
    goal = GoalFactory(cycle=year, department=org.support, metric=monthly, baseline=50, target=90, direction="increase")
    result = progress_of(year, goal, date(2026, 11, 30))
    assert (result.percent, result.value_on) == (pytest.approx(25), date(2026, 1, 1))  # January's figure, stale
    assert result.expected == pytest.approx(304 / 364 * 100)  # judged by 1 November, not by 1 February
    assert result.state == status.OFF_TRACK


def test_a_goal_whose_figure_meets_its_target_as_shown_is_done(org, cycle):
    # 29 of 50, scaled by 100, is 57.99999999999999 in floating point: shown as 58.0 %, it is the target.
    fixes = MetricFactory(department=org.support, aggregation=Metric.Aggregation.RATIO, ratio_scale=100)
    record_readings(
        rows=[
            ReadingRow(
                metric=fixes,
                person=org.bob,
                measured_at=timezone.make_aware(datetime(2025, 1, 7, 12)),
                value=29,
                denominator=50,
            )
        ],
        recorded_by=org.admin,
        source=Reading.Source.FORM,
    )
    rollups.run()
    goal = GoalFactory(cycle=cycle, department=org.support, metric=fixes, baseline=50, target=58, direction="increase")
    result = progress_of(cycle, goal, date(2025, 2, 1))
    assert (result.percent, result.bar, result.state) == (100, 100, status.ON_TRACK)


def test_a_goal_short_of_its_target_as_shown_never_shows_100_percent(org, cycle, fcr):
    record_weekly(org, fcr, [89.94], first=MONDAY)  # shown 89.9 %: not the target of 90
    goal = GoalFactory(cycle=cycle, department=org.front_line, metric=fcr, baseline=50, target=90, direction="increase")
    result = progress_of(cycle, goal, date(2025, 2, 1))
    assert result.percent < 100 and result.bar == 99
