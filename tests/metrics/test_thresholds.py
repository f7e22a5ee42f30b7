"""Figures meet their thresholds as shown: one comparison (metrics.status.meets) at the metric's declared precision,
used by the status of every page, scores, award rules, exports and goal progress."""

from datetime import timedelta

import pytest
from django.urls import reverse

from metrics import status
from metrics.models import ClosedPeriod, Metric, Reading
from metrics.selectors.scorecards import build_scorecard
from metrics.services import awards, rollups
from metrics.services.readings import ReadingRow, record_readings
from tests.metrics.factories import MetricFactory, TargetFactory
from tests.metrics.test_scorecard import at, last_week
from tests.metrics.test_scorecard_exports import read_csv


def ratio(org, name, *, direction, target, warning=None, decimals=1):
    metric = MetricFactory(
        department=org.support,
        name=name,
        code=name.lower().replace(" ", "-"),
        aggregation=Metric.Aggregation.RATIO,
        ratio_scale=100,
        direction=direction,
        decimals=decimals,
    )
    TargetFactory(metric=metric, target=target, warning=warning)
    return metric


def record_ratio(org, metric, person, value, denominator, day):
    record_readings(
        rows=[ReadingRow(metric=metric, person=person, measured_at=at(day), value=value, denominator=denominator)],
        recorded_by=org.admin,
        source=Reading.Source.FORM,
    )


@pytest.fixture
def scene(org):
    """Bob's week: 7 defects in 100 (7.0 %, target at most 7) and 29 first-time fixes of 50 (58.0 %, target 58)."""
    week = last_week()
    defects = ratio(org, "Defect rate", direction=Metric.Direction.LOWER, target=7, warning=9)
    fixes = ratio(org, "First-time fix", direction=Metric.Direction.HIGHER, target=58, warning=50)
    record_ratio(org, defects, org.bob, 7, 100, week)
    record_ratio(org, fixes, org.bob, 29, 50, week)
    rollups.run()
    return week, defects, fixes


@pytest.mark.parametrize(
    ("value", "threshold", "higher", "decimals", "meets"),
    [
        (7 / 100 * 100, 7, False, 1, True),  # 7.000000000000001
        (29 / 50 * 100, 58, True, 1, True),  # 57.99999999999999
        (57.94, 58, True, 1, False),  # shown 57.9
        (57.95, 58, True, 1, True),  # shown 58.0
        (7.04, 7, False, 1, True),  # shown 7.0
        (7.06, 7, False, 1, False),  # shown 7.1
        (79.6, 80, True, 0, True),  # shown 80
        (7.000000000000001, 7, False, None, True),  # no declared precision: float noise only is dropped
        (7.0001, 7, False, None, False),
    ],
)
def test_a_figure_meets_a_threshold_as_shown(value, threshold, higher, decimals, meets):
    assert status.meets(value, threshold, higher_is_better=higher, decimals=decimals) is meets


def test_a_figure_equal_to_its_target_as_shown_is_on_track(org, scene):
    week, _defects, _fixes = scene
    card = build_scorecard(department=org.support, period="week", start=week)
    [bob] = [row for row in card.people if row.name == org.bob.display_name]
    cells = {column.name: figure for column, figure in zip(card.columns, bob.figures, strict=True)}
    assert (cells["Defect rate"].display, cells["Defect rate"].state) == ("7.0%", status.ON_TRACK)
    assert (cells["First-time fix"].display, cells["First-time fix"].state) == ("58.0%", status.ON_TRACK)
    assert (bob.score, bob.on_target) == (1.0, True)


def test_the_scorecard_page_shows_on_track(client, org, scene):
    week, _defects, _fixes = scene
    client.force_login(org.alice)
    response = client.get(
        reverse("metrics:scorecard", args=[org.support.pk]), {"period": "week", "start": week.isoformat()}
    )
    assert '7.0%<span class="visually-hidden"> (On track)</span>' in response.content.decode()
    assert '58.0%<span class="visually-hidden"> (On track)</span>' in response.content.decode()


def test_the_export_writes_the_figure_as_shown(client, org, scene):
    week, _defects, _fixes = scene
    client.force_login(org.alice)
    rows = read_csv(
        client.get(
            reverse("metrics:scorecard_csv", args=[org.support.pk]), {"period": "week", "start": week.isoformat()}
        )
    )
    header, bob = rows[0], next(r for r in rows if r[0] == org.bob.display_name)
    figures = dict(zip(header, bob, strict=True))
    assert (figures["Defect rate (%)"], figures["Defect rate: status"]) == ("7.0", "On track")
    assert (figures["First-time fix (%)"], figures["First-time fix: status"]) == ("58.0", "On track")


def test_a_figure_on_its_target_as_shown_earns_the_all_on_target_award(org, scene):
    week, _defects, _fixes = scene
    closed = awards.close_period(
        department=org.support,
        period="week",
        start=week,
        rule=ClosedPeriod.Rule.ALL_ON_TARGET,
        top_n=3,
        closed_by=org.alice,
    )
    assert [a.person for a in closed.awards.all()] == [org.bob]


def test_the_frozen_scorecard_keeps_figures_as_shown(org, scene):
    week, _defects, _fixes = scene
    closed = awards.close_period(
        department=org.support,
        period="week",
        start=week,
        rule=ClosedPeriod.Rule.TOP_WEIGHTED,
        top_n=3,
        closed_by=org.alice,
    )
    bob = next(r for r in closed.scorecard["rows"] if r["id"] == org.bob.pk)
    assert [cell["value"] for cell in bob["cells"]] == [7.0, 58.0]
    assert [m["decimals"] for m in closed.scorecard["metrics"]] == [1, 1]
    assert closed.end == week + timedelta(days=6)
