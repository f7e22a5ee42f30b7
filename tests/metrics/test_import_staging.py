"""PostgreSQL's staged import says and stores exactly what the row-by-row import does, on every kind of bad row."""

import io
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.utils import timezone

from metrics.models import ClosedPeriod, Metric, Reading, RollupQueue
from metrics.services import imports
from tests.metrics.factories import MetricFactory

pytestmark = pytest.mark.skipif("connection.vendor != 'postgresql'")

HEADER = "metric,person,measured_at,value,denominator,note"


@pytest.fixture
def metrics(org):
    return SimpleNamespace(
        fcr=MetricFactory(department=org.support, name="FCR", code="fcr", min_value=0, max_value=100),
        calls=MetricFactory(
            department=org.support,
            name="Calls",
            code="calls",
            aggregation=Metric.Aggregation.SUM,
            owner_kind=Metric.Owner.DEPARTMENT,
        ),
        defects=MetricFactory(
            department=org.support, name="Defects", code="defects", aggregation=Metric.Aggregation.RATIO
        ),
        deals=MetricFactory(department=org.sales, name="Deals", code="deals"),
        old=MetricFactory(department=org.support, name="Old", code="old", archived_at=timezone.now()),
    )


def tricky_lines(org) -> list[str]:
    soon = (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    return [
        "fcr,bob,2026-10-01T09:00,80,,fine",
        'fcr,bob,2026-10-01T10:00,"1,234.5",,grouped: above the maximum',
        "fcr,bob,2026-10-01T11:00,87;5,,",
        "fcr,bob,2026-10-01T12:00,nan,,",
        "fcr,bob,2026-10-01T13:00,1e400,,",
        "fcr,bob,2026-10-01T14:00,1_000,,",
        "fcr,bob,2026-10-01T15:00,-1,,below the minimum",
        "fcr,bob,1969-12-31,50,,too early",
        "fcr,bob,3000-01-01T00:00,50,,too late",
        "fcr,bob,2026-02-30,50,,no such day",
        "fcr,bob,2026-10-25T02:30,50,,twice in Berlin",
        "fcr,bob,2026-03-29T02:30,50,,not at all in Berlin",
        "fcr,bob,2026-10-02,51,,noon",
        "fcr,bob,2026-10-02T08:00Z,52,,",
        "fcr,bob,2026-10-02T08:00+14:00,53,,",
        "fcr,bob,2026-10-02T08:00:00.5+01:00,54,,",
        "fcr,BOB@example.com,2026-10-03T08:00,55,,e-mail in capitals",
        "fcr,bob,2026-10-01T09:00,81,,same as line 2",
        "fcr,bob,2026-10-01T10:00,82,,same as a bad line",
        "fcr,nobody,2026-10-04T08:00,50,,",
        "nope,bob,2026-10-04T08:00,50,,",
        ",bob,2026-10-04T08:00,50,,",
        "fcr,,2026-10-04T08:00,50,,",
        "fcr,bob,,50,,",
        "fcr,bob,2026-10-04T09:00,,,",
        "fcr,charlie,2026-10-04T08:00,50,,not in support",
        "fcr,bob,2026-10-04T10:00,50,3,not a ratio",
        "calls,,2026-10-04T08:00,12,,",
        "calls,bob,2026-10-04T08:00,12,,a department's",
        "defects,bob,2026-10-04T08:00,3,,no denominator",
        "defects,bob,2026-10-04T09:00,3,0,",
        "defects,bob,2026-10-04T10:00,3,1e13,",
        "defects,bob,2026-10-04T11:00,3,1250,",
        "deals,charlie,2026-10-04T08:00,3,,",
        "old,bob,2026-10-04T08:00,3,,archived",
        f"fcr,bob,{soon},50,,the future",
        "fcr,bob,2026-09-10T08:00,50,,a closed period",
        "fcr,bob,2026-10-05T08:00,50,,note\x00with a NUL",
        f"fcr,bob,2026-10-05T09:00,50,,{'x' * 501}",
        "fcr,bob,2026-10-05T10:00,50,,too,many",
        "fcr,bob,2026-10-05T11:00",
        "fcr,bob,2026-10-05T12:00,50",
        "",
        "fcr,alice,2026-10-05T13:00,1e2,,",
        "fcr,bob,2026-10-05T14:00,100.0000000000000001,,",
        "fcr,bob,2026-10-05T15:00,  60  ,,spaces",
        "fcr,ｂｏｂ,2026-10-05T16:00,60,,wide letters",
        "fcr,bob,2026-10-05T17:00,٣,,an Arabic digit",
    ]


def run(org, lines, *, by, row_by_row: bool, monkeypatch, valid_only=True, decimal=None, header=HEADER):
    """Import as `by`, through the staged path or (row_by_row) the one SQLite takes; returns the report, what was
    stored and the rollup keys queued, then removes them."""
    with monkeypatch.context() as patch:
        if row_by_row:
            patch.setattr(imports, "connection", SimpleNamespace(vendor="sqlite"))
        file = io.BytesIO("\n".join([header, *lines, ""]).encode())
        report = imports.import_readings(file=file, recorded_by=by, valid_only=valid_only, decimal=decimal)
    stored = sorted(
        Reading.objects.values_list(
            "metric__code", "person__username", "department_id", "measured_at", "day", "value", "denominator", "note"
        )
    )
    queued = sorted(set(RollupQueue.objects.values_list("metric__code", "day", "owner_type", "owner_id")))
    Reading.objects.all().delete()
    RollupQueue.objects.all().delete()
    return report, stored, queued


def said(report) -> tuple:
    return (
        report.rows,
        report.rejected_rows,
        report.problem_count,
        report.created,
        report.updated,
        report.saved,
        [(p.line, p.field, p.message) for p in report.problems],
        [
            (r.line, r.values, [p.message for p in r.problems], r.reading and r.reading.measured_at)
            for r in report.preview
        ],
    )


@pytest.mark.parametrize("who", ["admin", "alice", "bob"])
@pytest.mark.parametrize("valid_only", [True, False])
def test_the_staged_import_agrees_with_the_row_by_row_one(org, metrics, monkeypatch, settings, who, valid_only):
    settings.TIME_ZONE = "Europe/Berlin"
    ClosedPeriod.objects.create(
        department=org.acme, period="month", start=date(2026, 9, 1), end=date(2026, 9, 30), scorecard={}
    )
    lines = tricky_lines(org)
    by = getattr(org, who)
    staged = run(org, lines, by=by, row_by_row=False, monkeypatch=monkeypatch, valid_only=valid_only)
    row_by_row = run(org, lines, by=by, row_by_row=True, monkeypatch=monkeypatch, valid_only=valid_only)
    assert said(staged[0]) == said(row_by_row[0])
    assert staged[1] == row_by_row[1]
    assert staged[2] == row_by_row[2]  # the same rollup keys queued, people's and departments'
    assert bool(staged[2]) == bool(staged[1])  # keys whenever something was stored
    assert connection.vendor == "postgresql"


def test_a_file_of_decimal_commas_agrees_too(org, metrics, monkeypatch):
    lines = ["fcr;bob;2026-10-01T09:00;80,5;;", "fcr;bob;2026-10-01T10:00;1.234,5;;", "fcr;bob;2026-10-01T11:00;80.5;;"]
    header = HEADER.replace(",", ";")
    staged = run(org, lines, by=org.admin, row_by_row=False, monkeypatch=monkeypatch, header=header)
    row_by_row = run(org, lines, by=org.admin, row_by_row=True, monkeypatch=monkeypatch, header=header)
    assert said(staged[0]) == said(row_by_row[0]) and staged[1] == row_by_row[1]
    assert staged[0].decimal == imports.COMMA and staged[0].created == 1 and staged[0].rejected_rows == 2


def test_a_reading_that_conflicts_after_all_is_replaced(org, metrics, monkeypatch):
    """The plain INSERT for days with no stored readings falls back to the upsert should one conflict anyway (a day
    stored under another time zone)."""
    from metrics.services import import_staging

    lines = ["fcr,bob,2026-10-01T09:00,80,,", "calls,,2026-10-01T09:00,5,,"]
    file = io.BytesIO("\n".join([HEADER, *lines, ""]).encode())
    assert imports.import_readings(file=file, recorded_by=org.admin).created == 2
    Reading.objects.update(day=date(2026, 9, 30))  # as if stored under another zone
    monkeypatch.setattr(import_staging, "_only_new_days", lambda cursor, summary: True)
    lines = ["fcr,bob,2026-10-01T09:00,81,,", "calls,,2026-10-01T09:00,6,,"]
    report = imports.import_readings(file=io.BytesIO("\n".join([HEADER, *lines, ""]).encode()), recorded_by=org.admin)
    assert (report.created, report.updated) == (0, 2)
    assert sorted(Reading.objects.values_list("value", flat=True)) == [6, 81]


def test_notes_are_stored_as_written_whatever_they_hold(org, metrics, monkeypatch):
    """The staged rows reach COPY as text: a note with quotes, delimiters, line breaks or COPY's end-of-data marker
    (a lone backslash-period) is stored as the row-by-row import stores it."""
    notes = ['"say ""hi"", then wait"', '"two\nlines"', '"\\."', '"first\n\\.\nlast"', "back\\slash", '"a\r\nb"']
    lines = [f"fcr,bob,2026-10-06T{hour:02}:00,50,,{note}" for hour, note in enumerate(notes)]
    staged = run(org, lines, by=org.admin, row_by_row=False, monkeypatch=monkeypatch)
    row_by_row = run(org, lines, by=org.admin, row_by_row=True, monkeypatch=monkeypatch)
    assert said(staged[0]) == said(row_by_row[0]) and staged[1] == row_by_row[1]
    assert [note for *_, note in staged[1]] == [
        'say "hi", then wait',
        "two\nlines",
        "\\.",
        "first\n\\.\nlast",
        "back\\slash",
        "a\r\nb",
    ]


def test_a_name_that_is_a_username_and_someone_elses_e_mail_means_whom_the_row_by_row_import_says(
    org, metrics, monkeypatch
):
    """Rows are staged from memory once their metric and person are known, except for a name that two people
    answer to: whom it means depends on who has been loaded so far (a username wins once its owner is)."""
    from metrics.services import import_staging
    from tests.org.factories import UserFactory

    UserFactory(username="quinn", email="x@example.com", department=org.front_line)
    UserFactory(username="x@example.com", email="xavier@example.com", department=org.front_line)
    monkeypatch.setattr(imports, "BATCH", 2)
    monkeypatch.setattr(import_staging, "BATCH", 2)
    lines = [
        "fcr,quinn,2026-10-01T09:00,50,,",
        "fcr,bob,2026-10-01T09:00,50,,",
        "fcr,x@example.com,2026-10-01T10:00,51,,quinn's e-mail: she is loaded and he is not",
        "fcr,quinn,2026-10-01T09:30,50,,",
        "fcr,xavier@example.com,2026-10-01T11:00,52,,loads him",
        "fcr,x@example.com,2026-10-01T12:00,53,,his username now",
        "fcr,x@example.com,2026-10-01T13:00,54,,",
    ]
    staged = run(org, lines, by=org.admin, row_by_row=False, monkeypatch=monkeypatch)
    row_by_row = run(org, lines, by=org.admin, row_by_row=True, monkeypatch=monkeypatch)
    assert said(staged[0]) == said(row_by_row[0]) and staged[1] == row_by_row[1]
    assert [(person, value) for _, person, _, _, _, value, _, _ in staged[1] if value > 50] == [
        ("quinn", 51),
        ("x@example.com", 52),
        ("x@example.com", 53),
        ("x@example.com", 54),
    ]


def test_hostile_rows_agree_too(org, metrics, monkeypatch):
    """COPY's own markers (tab, \\N, \\r), far and odd numbers and dates, the same reading written two ways."""
    lines = [
        "fcr,bob,2026-10-07T00:00,50,,tab\there",
        "fcr,bob,2026-10-07T01:00,50,,\\N",
        'fcr,bob,2026-10-07T02:00,50,,"lone\rreturn"',
        "fcr,bob,2026-10-07T03:00,50,,\\",
        "fcr,bob,2026-10-07T04:00,50,,\\t\\n",
        "fcr,bob,2026-10-07T05:00,1e308,,",
        "fcr,bob,2026-10-07T06:00,-0,,",
        "fcr,bob,2026-10-07T07:00,+5,,",
        "fcr,bob,2026-10-07T08:00,Infinity,,",
        "fcr,bob,2026-10-07T09:00,0x10,,",
        "fcr,bob,2026-10-07T10:00,1e-320,,",
        "fcr,bob,0001-01-01T00:00,50,,",
        "fcr,bob,9999-12-31T23:59,50,,",
        "fcr,bob,2026-10-07T11:00Z,50,,",
        "fcr,bob,2026-10-07T11:00+00:00,51,,same instant",
        "fcr,bob@example.com,2026-10-07T12:00,50,,",
        "fcr,bob,2026-10-07T12:00,51,,same person by username",
        "fcr,bob,2026-10-07T13:00,50,,\u2028separator\u2029",
        "calls,,2026-10-07T13:00,99999999999999999999,,",
        "defects,bob,2026-10-07T14:00,3,1e-320,",
        "fcr,bob,2026-10-07T15:00,50,,,",
    ]
    for header in (HEADER, "\ufeff" + HEADER):
        staged = run(org, lines, by=org.admin, row_by_row=False, monkeypatch=monkeypatch, header=header)
        row_by_row = run(org, lines, by=org.admin, row_by_row=True, monkeypatch=monkeypatch, header=header)
        assert said(staged[0]) == said(row_by_row[0])
        assert staged[1:] == row_by_row[1:]


@pytest.mark.parametrize("lines", [[], [""], ["", ""]])
def test_an_empty_file_agrees_too(org, metrics, monkeypatch, lines):
    staged = run(org, lines, by=org.admin, row_by_row=False, monkeypatch=monkeypatch)
    row_by_row = run(org, lines, by=org.admin, row_by_row=True, monkeypatch=monkeypatch)
    assert said(staged[0]) == said(row_by_row[0]) and staged[1:] == row_by_row[1:]


@pytest.mark.parametrize("count", [3, 4])
@pytest.mark.parametrize("blank", [False, True])
def test_the_row_limit_is_the_same_either_way(org, metrics, monkeypatch, count, blank):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    monkeypatch.setattr(imports, "BATCH", 2)
    lines = [f"fcr,bob,2026-10-08T{hour:02}:00,50,," for hour in range(count)] + ([""] * 2 if blank else [])
    outcomes = []
    for row_by_row in (False, True):
        try:
            report, *rest = run(org, lines, by=org.admin, row_by_row=row_by_row, monkeypatch=monkeypatch)
            outcomes.append((said(report), rest))
        except imports.ImportFileError as error:
            outcomes.append(str(error))
    assert outcomes[0] == outcomes[1]
