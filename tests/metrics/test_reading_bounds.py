"""A reading is finite and within what every aggregate of it can hold, on every path in: the form, the CSV import,
the command and the service; the biggest values each path accepts roll up to ordinary numbers."""

import io
import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from core import periods
from metrics.models import Metric, Reading, Rollup
from metrics.services import imports, rollups
from metrics.services.readings import DENOMINATOR_SMALLEST, VALUE_LIMIT, ReadingRow, check_readings, record_readings
from tests.metrics.factories import MetricFactory

UTC = ZoneInfo("UTC")
WHEN = datetime(2026, 11, 2, 12, tzinfo=UTC)
HEADER = "metric,person,measured_at,value,denominator,note"


@pytest.fixture
def reply(org):
    return MetricFactory(
        department=org.support,
        name="First reply time",
        code="reply",
        unit="minutes",
        aggregation=Metric.Aggregation.SUM,
    )


@pytest.fixture
def ratio(org):
    return MetricFactory(
        department=org.support,
        name="Defects per unit",
        code="defects",
        denominator_label="units",
        aggregation=Metric.Aggregation.RATIO,
        ratio_scale=1_000_000,
    )


def problems(org, metric, value, denominator=None, when=WHEN):
    rows = [ReadingRow(metric=metric, person=org.bob, measured_at=when, value=value, denominator=denominator)]
    return [(e.field, e.message) for e in check_readings(rows=rows, recorded_by=org.bob)]


@pytest.mark.parametrize("value", [VALUE_LIMIT, -VALUE_LIMIT, 0.0, 1e-300])
def test_it_accepts_values_up_to_the_limit(org, reply, value):
    assert problems(org, reply, value) == []


@pytest.mark.parametrize("value", [1e308, -1e308, VALUE_LIMIT * 1.000001, 1e13])
def test_it_refuses_values_beyond_the_limit_with_a_message(org, reply, value):
    [(field, message)] = problems(org, reply, value)
    assert field == "value" and "too large" in message and "1,000,000,000,000" in message


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_it_refuses_values_that_are_not_numbers(org, reply, value):
    assert problems(org, reply, value) == [("value", "The value must be a number.")]


@pytest.mark.parametrize(
    ("denominator", "accepted"),
    [(VALUE_LIMIT, True), (DENOMINATOR_SMALLEST, True), (1e13, False), (1e-7, False), (1e-300, False)],
)
def test_denominators_are_bounded_too(org, ratio, denominator, accepted):
    found = problems(org, ratio, 5, denominator=denominator)
    assert (found == []) is accepted
    if not accepted:
        assert found[0][0] == "denominator" and "between 1e-06 and 1,000,000,000,000" in found[0][1]


@pytest.mark.parametrize("year", [1, 1900, 1969])
def test_readings_before_the_accepted_range_are_refused(org, reply, year):
    [(field, message)] = problems(org, reply, 5, when=datetime(year, 1, 1, 0, 30, tzinfo=ZoneInfo("Asia/Tokyo")))
    assert field == "measured_at" and "between 1970-01-01 and 2999-12-31" in message


def test_the_biggest_accepted_readings_roll_up_to_finite_figures(org, reply, ratio):
    """A month of the largest readings, one an hour, and the smallest denominators: every bucket stays finite.

    The month is October in the organization's zone (its hours counted in that zone: 743 to 745 with a
    daylight-saving change), so the readings fall in one month bucket whatever zone the suite runs in."""
    zone = periods.organization_zone()
    moment = datetime(2026, 10, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(2026, 11, 1, tzinfo=zone).astimezone(UTC)
    rows = []
    while moment < end:
        rows.append(ReadingRow(metric=reply, person=org.bob, measured_at=moment, value=VALUE_LIMIT))
        rows.append(
            ReadingRow(
                metric=ratio, person=org.bob, measured_at=moment, value=VALUE_LIMIT, denominator=DENOMINATOR_SMALLEST
            )
        )
        moment += timedelta(hours=1)
    record_readings(rows=rows, recorded_by=org.admin, source=Reading.Source.CSV)
    result = rollups.run()
    assert result.failed == 0
    month = Rollup.objects.get(metric=reply, period="month", owner_type="p", owner_id=org.bob.pk)
    assert month.value_for(reply) == pytest.approx(len(rows) / 2 * VALUE_LIMIT)
    for bucket in Rollup.objects.filter(metric=ratio):
        assert math.isfinite(bucket.value_for(ratio))


def test_the_form_refuses_a_huge_value_with_a_message(client, org, reply):
    client.force_login(org.bob)
    response = client.post(
        reverse("metrics:reading_create"), {"metric": reply.pk, "measured_at": "2026-11-02T09:00", "value": "1e308"}
    )
    assert response.status_code == 200
    assert "too large" in response.content.decode()
    assert not Reading.objects.exists()


def test_the_form_accepts_the_largest_value(client, org, reply):
    client.force_login(org.bob)
    response = client.post(
        reverse("metrics:reading_create"),
        {"metric": reply.pk, "measured_at": "2026-11-02T09:00", "value": "1000000000000"},
    )
    assert response.status_code == 302
    assert Reading.objects.get().value == VALUE_LIMIT


@pytest.mark.parametrize("when", ["0001-01-01", "1900-06-01", "9999-12-31T23:00-05:00"])
def test_the_form_and_the_import_refuse_far_dates(client, org, reply, when):
    client.force_login(org.bob)
    response = client.post(
        reverse("metrics:reading_create"), {"metric": reply.pk, "measured_at": when[:16], "value": "5"}
    )
    assert response.status_code == 200 and not Reading.objects.exists()
    report = imports.check_import(file=io.BytesIO(f"{HEADER}\nreply,bob,{when},5,,\n".encode()), recorded_by=org.bob)
    assert report.problem_count == 1


def test_the_import_reports_huge_values_and_accepts_the_largest(org, reply):
    text = f'{HEADER}\nreply,bob,2026-11-02,1e308,,\nreply,bob,2026-11-03,"1,000,000,000,000",,\n'
    report = imports.check_import(file=io.BytesIO(text.encode()), recorded_by=org.bob)
    assert report.problem_count == 1
    refused = imports.import_readings(file=io.BytesIO(text.encode()), recorded_by=org.bob)
    assert not refused.saved and refused.problem_count == 1 and not Reading.objects.exists()
    imported = imports.import_readings(file=io.BytesIO(text.encode()), recorded_by=org.bob, valid_only=True)
    assert imported.created == 1 and Reading.objects.get().value == VALUE_LIMIT


def test_the_command_refuses_huge_values(org, reply, tmp_path):
    path = tmp_path / "readings.csv"
    path.write_text(f"{HEADER}\nreply,bob,2026-11-02,1e308,,\nreply,bob,2026-11-02T13:00,1e308,,\n")
    with pytest.raises(CommandError, match="2 of 2 rows have problems"):
        call_command("import_readings", str(path), "--as", "bob")
    assert not Reading.objects.exists()


def test_a_metric_range_beyond_what_readings_may_be_is_refused(client, org):
    client.force_login(org.alice)
    response = client.post(
        reverse("metrics:metric_create"),
        {
            "department": org.support.pk,
            "name": "Huge",
            "code": "huge",
            "direction": "higher",
            "aggregation": "mean",
            "ratio_scale": "1e300",
            "frequency": "daily",
            "owner_kind": "person",
            "max_value": "1e308",
            "decimals": 1,
            "weight": 1,
            "targets-TOTAL_FORMS": 0,
            "targets-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "max_value" in errors and "ratio_scale" in errors
    assert not Metric.objects.filter(code="huge").exists()


def test_the_set_based_path_refuses_rows_beyond_the_bounds(org, reply):
    from metrics.services.readings import store_rows

    with pytest.raises(ValueError, match="outside the bounds"):
        store_rows(
            [ReadingRow(metric=reply, person=org.bob, measured_at=WHEN, value=1e308)],
            recorded_by=None,
            source=Reading.Source.DEMO,
        )
    assert (
        store_rows(
            [ReadingRow(metric=reply, person=org.bob, measured_at=WHEN, value=VALUE_LIMIT)],
            recorded_by=None,
            source=Reading.Source.DEMO,
        )
        == 1
    )
