"""record_readings(): one validated path, with a clear message per problem and nothing half-saved."""

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from metrics.models import ClosedPeriod, Metric, Reading, RollupQueue
from metrics.services.readings import ReadingRow, ReadingsRejected, check_readings, record_readings
from tests.metrics.factories import MetricFactory

UTC = ZoneInfo("UTC")
WHEN = datetime(2026, 11, 2, 12, tzinfo=UTC)


@pytest.fixture
def fcr(org):
    return MetricFactory(department=org.support, name="First-contact resolution", min_value=0, max_value=100)


def row(metric, person, value=80.0, **kwargs):
    return ReadingRow(metric=metric, person=person, measured_at=kwargs.pop("when", WHEN), value=value, **kwargs)


def messages_for(rows, by):
    return [e.message for e in check_readings(rows=rows, recorded_by=by)]


def test_an_employee_records_their_own_reading(org, fcr):
    result = record_readings(rows=[row(fcr, org.bob)], recorded_by=org.bob, source=Reading.Source.FORM)
    assert (result.created, result.updated) == (1, 0)
    reading = Reading.objects.get()
    assert (reading.department, reading.day.isoformat(), reading.recorded_by) == (org.front_line, "2026-11-02", org.bob)
    assert RollupQueue.objects.count() == 4  # bob, Front Line, Support, Acme


def test_it_queues_rollup_keys_with_the_owner_types_sql_and_python_share(org, fcr):
    from metrics.models import OwnerType

    record_readings(rows=[row(fcr, org.bob)], recorded_by=org.bob, source=Reading.Source.FORM)
    queued = sorted(RollupQueue.objects.values_list("owner_type", "owner_id"))
    assert queued == sorted(
        [
            (OwnerType.PERSON, org.bob.pk),
            (OwnerType.DEPARTMENT, org.front_line.pk),
            (OwnerType.DEPARTMENT, org.support.pk),
            (OwnerType.DEPARTMENT, org.acme.pk),
        ]
    )


def test_an_employee_cannot_record_for_someone_else(org, fcr):
    assert messages_for([row(fcr, org.alice)], org.bob) == [
        "You may not record readings of “First-contact resolution” for Alice Archer."
    ]


def test_a_manager_records_for_their_people_but_not_another_departments(org, fcr):
    assert messages_for([row(fcr, org.bob)], org.alice) == []
    assert messages_for([row(fcr, org.bob)], org.charlie) == [
        "You may not record readings of “First-contact resolution” for Bob Baker."
    ]


@pytest.mark.parametrize(
    ("who", "owner", "person", "allowed"),
    [
        ("admin", "person", "charlie", True),
        ("admin", "department", None, True),
        ("alice", "person", "bob", True),
        ("alice", "person", "alice", True),
        ("alice", "department", None, True),
        ("bob", "person", "bob", True),
        ("bob", "person", "alice", False),
        ("bob", "department", None, False),
        ("charlie", "person", "bob", False),
        ("charlie", "department", None, False),
    ],
)
def test_who_may_record_a_reading_is_one_rule_for_the_service_and_the_form(org, who, owner, person, allowed):
    from metrics.selectors.figures import recordable_metrics
    from org import access

    kind = Metric.Owner.PERSON if owner == "person" else Metric.Owner.DEPARTMENT
    metric = MetricFactory(department=org.support, owner_kind=kind)
    user, person = getattr(org, who), getattr(org, person) if person else None
    assert access.can_record_reading(user, metric, person) is allowed
    refused = f"You may not record readings of “{metric}”"
    assert any(m.startswith(refused) for m in messages_for([row(metric, person)], user)) is not allowed
    offered = metric in recordable_metrics(user) and (person is None or person in access.visible_people(user))
    assert offered is allowed


def test_a_person_outside_the_metrics_department_is_refused(org, fcr):
    assert messages_for([row(fcr, org.charlie)], org.admin) == [
        "Charlie Cole is not in Support or a department below it, so “First-contact resolution” does not apply to them."
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-1, "-1.0% is below the lowest valid value of “First-contact resolution” (0.0%)."),
        (101, "101.0% is above the highest valid value of “First-contact resolution” (100.0%)."),
        (math.nan, "The value must be a number."),
    ],
)
def test_values_outside_the_valid_range_are_refused(org, fcr, value, expected):
    assert messages_for([row(fcr, org.bob, value)], org.bob) == [expected]


def test_a_future_reading_is_refused(org, fcr):
    later = timezone.now() + timedelta(hours=2)
    [message] = messages_for([row(fcr, org.bob, when=later)], org.bob)
    assert message.startswith("Readings cannot be in the future")


def test_an_archived_metric_takes_no_readings(org, fcr):
    fcr.archived_at = timezone.now()
    fcr.save()
    assert messages_for([row(fcr, org.bob)], org.admin) == [
        "“First-contact resolution” is archived: it no longer takes readings."
    ]


def test_a_ratio_needs_a_denominator_and_other_metrics_refuse_one(org, fcr):
    ratio = MetricFactory(
        department=org.support, aggregation=Metric.Aggregation.RATIO, denominator_label="units shipped", name="Defects"
    )
    assert messages_for([row(ratio, org.bob, 3)], org.bob) == [
        "“Defects” is a ratio: give units shipped, a number above 0."
    ]
    assert messages_for([row(fcr, org.bob, denominator=10)], org.bob) == [
        "“First-contact resolution” is not a ratio: leave the denominator empty."
    ]


def test_department_metrics_take_no_person_and_person_metrics_need_one(org, fcr):
    team = MetricFactory(department=org.support, owner_kind=Metric.Owner.DEPARTMENT, name="CSAT")
    assert messages_for([row(team, org.bob)], org.alice) == [
        "“CSAT” belongs to the department, not to one person: leave the person empty."
    ]
    assert messages_for([row(fcr, None)], org.alice) == [
        "Choose whose reading this is: “First-contact resolution” is recorded for each person."
    ]
    assert messages_for([row(team, None)], org.bob) == ["You may not record readings of “CSAT”."]
    assert messages_for([row(team, None)], org.alice) == []


def test_a_closed_period_refuses_readings_except_an_admins_with_a_reason(org, fcr):
    ClosedPeriod.objects.create(
        department=org.support, period="week", start="2026-11-02", end="2026-11-08", scorecard={}
    )
    [message] = messages_for([row(fcr, org.bob)], org.alice)
    assert "is closed, so its scorecard is frozen" in message
    assert messages_for([row(fcr, org.bob)], org.admin) == [
        "Support · W45 2026 is closed: give a reason to record a reading in it."
    ]
    record_readings(
        rows=[row(fcr, org.bob)],
        recorded_by=org.admin,
        source="form",
        override_reason="Late paper form from the night shift",
    )
    assert Reading.objects.get().override_reason == "Late paper form from the night shift"


def test_all_or_nothing_saves_nothing_when_one_row_is_bad(org, fcr):
    rows = [row(fcr, org.bob, 80), row(fcr, org.bob, 180, when=WHEN + timedelta(hours=1), line=7)]
    with pytest.raises(ReadingsRejected) as rejected:
        record_readings(rows=rows, recorded_by=org.bob, source="csv")
    assert [str(e) for e in rejected.value.errors] == [
        "line 7: 180.0% is above the highest valid value of “First-contact resolution” (100.0%)."
    ]
    assert Reading.objects.count() == 0 and RollupQueue.objects.count() == 0


def test_valid_only_keeps_the_good_rows_and_reports_the_bad(org, fcr):
    rows = [row(fcr, org.bob, 80), row(fcr, org.bob, 180, when=WHEN + timedelta(hours=1), line=7)]
    result = record_readings(rows=rows, recorded_by=org.bob, source="csv", valid_only=True)
    assert (result.created, len(result.rejected)) == (1, 1)


def test_the_same_reading_twice_in_one_batch_keeps_the_last(org, fcr):
    result = record_readings(rows=[row(fcr, org.bob, 60), row(fcr, org.bob, 70)], recorded_by=org.bob, source="csv")
    assert Reading.objects.get().value == 70
    assert result.created == 1


def test_a_late_back_dated_reading_is_accepted(org, fcr):
    record_readings(rows=[row(fcr, org.bob, when=WHEN - timedelta(days=400))], recorded_by=org.bob, source="form")
    assert Reading.objects.get().day.isoformat() == "2025-09-28"


def test_recording_enqueues_a_rollup_after_commit(org, fcr, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        record_readings(rows=[row(fcr, org.bob)], recorded_by=org.bob, source="form")
    assert len(callbacks) == 1
    assert RollupQueue.objects.count() == 0  # the eager rollup consumed the queue
