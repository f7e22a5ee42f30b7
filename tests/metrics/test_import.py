"""CSV import of readings: parsing, every kind of bad input, all or nothing, re-imports, access, queries, streaming."""

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from core import import_reports
from metrics.models import ClosedPeriod, Metric, Reading, RollupQueue
from metrics.services import import_staging, imports, readings
from metrics.services.imports import check_import, import_readings
from tests.metrics.factories import MetricFactory

UTC = ZoneInfo("UTC")
HEADER = "metric,person,measured_at,value,denominator,note"


def csv_file(*lines: str, header: str = HEADER) -> io.BytesIO:
    return io.BytesIO("\n".join([header, *lines, ""]).encode())


def run(org, *lines, by=None, valid_only=False, header=HEADER, decimal=None):
    return import_readings(
        file=csv_file(*lines, header=header), recorded_by=by or org.admin, valid_only=valid_only, decimal=decimal
    )


def problems(report) -> list[tuple[int, str]]:
    return [(p.line, p.field) for p in report.problems]


@pytest.fixture
def fcr(org):
    """A per-person metric of Support: alice's and bob's readings."""
    return MetricFactory(
        department=org.support, name="First-contact resolution", code="fcr", min_value=0, max_value=100
    )


@pytest.fixture
def calls(org):
    """A department metric of Support."""
    return MetricFactory(
        department=org.support,
        name="Calls answered",
        code="calls",
        unit="calls",
        aggregation=Metric.Aggregation.SUM,
        owner_kind=Metric.Owner.DEPARTMENT,
    )


@pytest.fixture
def defects(org):
    return MetricFactory(
        department=org.support,
        name="Defects",
        code="defects",
        aggregation=Metric.Aggregation.RATIO,
        ratio_scale=1000,
        denominator_label="units shipped",
        direction=Metric.Direction.LOWER,
    )


@pytest.fixture
def deals(org):
    """A per-person metric of Sales (charlie's department)."""
    return MetricFactory(department=org.sales, name="Deals closed", code="deals", unit="")


def test_it_imports_readings_of_people_and_of_departments(org, fcr, calls, defects):
    report = run(
        org,
        "fcr,bob,2026-10-05T09:30:00+00:00,80,,after the new greeting",
        "fcr,alice@example.com,2026-10-05T10:00Z,95,,",
        "calls,,2026-10-05T17:00Z,412,,",
        "defects,bob,2026-10-05T12:00Z,3,1250,",
    )
    assert report.saved and report.ok
    assert (report.rows, report.created, report.updated, report.rejected_rows) == (4, 4, 0, 0)
    bob = Reading.objects.get(metric=fcr, person=org.bob)
    assert (bob.value, bob.note, bob.source, bob.recorded_by) == (80, "after the new greeting", "csv", org.admin)
    assert bob.measured_at == datetime(2026, 10, 5, 9, 30, tzinfo=UTC)
    assert Reading.objects.get(metric=calls).department == org.support
    assert Reading.objects.get(metric=defects).denominator == 1250
    assert RollupQueue.objects.filter(metric=fcr, owner_type="p").count() == 2  # queued by the service


def test_column_names_are_case_insensitive_and_in_any_order(org, fcr):
    report = run(org, "80,2026-10-05T09:30Z,bob,FCR is fine,fcr", header=" Value ,Measured At,PERSON,Note,metric")
    assert report.saved
    assert Reading.objects.get().note == "FCR is fine"


def test_it_accepts_a_byte_order_mark_and_windows_line_ends(org, fcr):
    data = ("\ufeff" + HEADER + "\r\nfcr,bob,2026-10-05T09:30Z,80,,\r\n").encode()
    report = import_readings(file=io.BytesIO(data), recorded_by=org.admin)
    assert report.saved and report.created == 1


def test_optional_columns_may_be_left_out(org, fcr):
    assert run(org, "fcr,bob,2026-10-05,80", header="metric,person,measured_at,value").saved


def test_naive_times_are_in_the_organization_time_zone(org, fcr, settings):
    settings.TIME_ZONE = "Europe/Paris"  # UTC+2 in early October
    run(org, "fcr,bob,2026-10-05T09:30,80,,")
    assert Reading.objects.get().measured_at == datetime(2026, 10, 5, 7, 30, tzinfo=UTC)


def test_a_plain_date_means_noon_in_the_organization_time_zone(org, fcr, settings):
    settings.TIME_ZONE = "America/New_York"  # UTC-4 in early October
    run(org, "fcr,bob,2026-10-05,80,,")
    reading = Reading.objects.get()
    assert reading.measured_at == datetime(2026, 10, 5, 16, 0, tzinfo=UTC)
    assert reading.day.isoformat() == "2026-10-05"


def test_thousands_may_be_grouped_with_commas_in_quotes(org, calls):
    report = run(org, 'calls,,2026-10-05T17:00Z,"1,234.5",,')
    assert report.saved
    assert Reading.objects.get().value == 1234.5


def test_a_decimal_comma_is_never_read_as_a_thousands_grouping(org, fcr):
    # Before issue 12, "0,500" was stored as 500 while "87,5" in the same file was refused.
    report = check_import(
        file=csv_file('fcr,bob,2026-10-05,"0,500",,', 'fcr,bob,2026-10-06,"87,5",,'), recorded_by=org.admin
    )
    assert [p.message for p in report.problems] == [
        "Value: “0,500” is written with a decimal comma (0.5), but the file's decimal separator is a point. Write "
        "0.5, or choose the decimal comma for the file when you upload it.",
        "Value: “87,5” is written with a decimal comma (87.5), but the file's decimal separator is a point. Write "
        "87.5, or choose the decimal comma for the file when you upload it.",
    ]
    assert (report.decimal, report.decimal_detected) == ("point", True)


@pytest.mark.parametrize(
    ("decimal", "text", "meanings"),
    [
        ("point", "1,500", "could be 1500 (a comma grouping thousands) or 1.5 (a decimal comma)"),
        ("comma", "1.500", "could be 1500 (a point grouping thousands) or 1.5 (a decimal point)"),
        ("point", "-12,345", "could be -12345 (a comma grouping thousands) or -12.345 (a decimal comma)"),
    ],
)
def test_a_value_that_could_be_read_either_way_is_refused_with_both_readings(org, calls, decimal, text, meanings):
    report = run(org, f'calls,,2026-10-05T17:00Z,"{text}",,', decimal=decimal)
    assert not report.saved
    [problem] = report.problems
    assert problem.field == "value"
    assert f"“{text}” {meanings}, so it is read neither way" in problem.message


@pytest.mark.parametrize(
    ("decimal", "text", "value"),
    [
        ("point", "87.5", 87.5),
        ("point", "1,234.5", 1234.5),
        ("point", "1,234,567", 1234567),
        ("point", "0.500", 0.5),
        ("comma", "87,5", 87.5),
        ("comma", "0,500", 0.5),
        ("comma", "1.234,5", 1234.5),
        ("comma", "1.234.567", 1234567),
        ("comma", "-0,25", -0.25),
        ("comma", "412", 412),
    ],
)
def test_a_declared_decimal_separator_reads_values_unambiguously(org, calls, decimal, text, value):
    report = run(org, f'calls,,2026-10-05T17:00Z,"{text}",,', decimal=decimal)
    assert report.saved, report.problems
    assert Reading.objects.get().value == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "87.5",
            "“87.5” is written with a decimal point (87.5), but the file's decimal separator is a comma. Write "
            "87,5, or choose the decimal point for the file when you upload it.",
        ),
        ("0.500", "“0.500” is written with a decimal point (0.5)"),
        (
            "1,234.5",
            "“1,234.5” is not a number. The file's decimal separator is a comma (87,5), and points may only "
            "group thousands (1.234,5).",
        ),
    ],
)
def test_a_decimal_point_in_a_file_with_decimal_commas_is_refused(org, calls, text, message):
    report = run(org, f'calls,,2026-10-05T17:00Z,"{text}",,', decimal="comma")
    [problem] = report.problems
    assert message in problem.message


def test_a_semicolon_separated_file_is_detected_as_having_decimal_commas(org, calls, defects):
    report = run(
        org,
        'calls;;2026-10-05T17:00Z;87,5;;"late; but counted"',
        "defects;bob;2026-10-05;3;1.250,0;",
        header=HEADER.replace(",", ";"),
    )
    assert report.saved, report.problems
    assert (report.decimal, report.decimal_detected, report.delimiter) == ("comma", True, ";")
    assert sorted(Reading.objects.values_list("value", "denominator", "note")) == [
        (3, 1250, ""),
        (87.5, None, "late; but counted"),
    ]


def test_a_line_with_too_many_values_names_the_files_own_separator(org, calls):
    report = run(org, "calls;;2026-10-05T17:00Z;87,5;;late; but counted", header=HEADER.replace(",", ";"))
    [problem] = report.problems
    assert "Put values that contain semicolons in double quotes" in problem.message


def test_a_semicolon_separated_file_may_declare_decimal_points(org, calls):
    report = run(org, "calls;;2026-10-05T17:00Z;87.5;;", header=HEADER.replace(",", ";"), decimal="point")
    assert report.saved, report.problems
    assert (report.decimal, report.decimal_detected) == ("point", False)
    assert Reading.objects.get().value == 87.5


def test_importing_the_same_readings_again_updates_them(org, fcr):
    run(org, "fcr,bob,2026-10-05T09:30Z,80,,", "fcr,alice,2026-10-05T09:30Z,70,,")
    report = run(org, "fcr,bob,2026-10-05T09:30Z,85,,corrected", "fcr,alice,2026-10-06T09:30Z,75,,")
    assert (report.created, report.updated) == (1, 1)
    assert Reading.objects.count() == 3
    assert Reading.objects.get(person=org.bob).value == 85


def test_late_and_back_dated_readings_are_accepted(org, fcr):
    yesterday = timezone.now() - timedelta(days=1)
    run(org, f"fcr,bob,{yesterday.isoformat()},80,,")
    report = run(org, "fcr,bob,2024-01-15T09:00Z,60,,", "fcr,bob,2025-06-30,65,,")
    assert report.saved and report.created == 2


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ("metric,person,measured_at,value,score", ["“score”"]),
        ("metric,person,value", ["“measured_at”"]),
        ("code,person,when,value", ["“code”", "“when”", "“metric”", "“measured_at”"]),
        ("metric,person,measured_at,value,value", ["“value”", "more than once"]),
    ],
)
def test_wrong_columns_are_refused_naming_them(org, fcr, header, named):
    report = run(org, "fcr,bob,2026-10-05,80", header=header)
    assert not report.saved
    assert report.file_error.startswith("The first line must name the columns")
    for name in named:
        assert name in report.file_error
    assert Reading.objects.count() == 0


def test_an_empty_file_is_refused(org, fcr):
    report = import_readings(file=io.BytesIO(b""), recorded_by=org.admin)
    assert not report.saved and report.file_error.startswith("The file is empty")


def test_a_header_without_readings_is_refused(org, fcr):
    report = import_readings(file=io.BytesIO(HEADER.encode() + b"\n\n"), recorded_by=org.admin)
    assert report.file_error == "The file has a header but no readings below it."


def test_a_file_that_is_not_utf8_is_refused_and_nothing_is_saved(org, fcr):
    data = (HEADER + "\nfcr,bob,2026-10-05,80,,\nfcr,bob,2026-10-06,80,,café\n").encode("latin-1")
    report = import_readings(file=io.BytesIO(data), recorded_by=org.admin, valid_only=True)
    assert not report.saved
    assert report.file_error.startswith(
        "The file is not UTF-8 text (line 3 is not): save it from your spreadsheet as “CSV UTF-8”"
    )
    assert Reading.objects.count() == 0


def test_a_bad_byte_far_into_the_file_is_found_on_its_line(org, fcr):
    lines = [f"fcr,bob,2026-10-01T00:{n % 60:02d}:{n // 60:02d}Z,80,,a note to fill the file" for n in range(3000)]
    data = (HEADER + "\n" + "\n".join(lines) + "\n").encode() + "fcr,bob,2026-10-02,80,,café\n".encode("cp1252")
    report = import_readings(file=io.BytesIO(data), recorded_by=org.admin, valid_only=True)
    assert "(line 3002 is not)" in report.file_error
    assert Reading.objects.count() == 0


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_a_utf16_file_is_refused(org, fcr, encoding):
    data = (HEADER + "\nfcr,bob,2026-10-05,80,,\n").encode(encoding)
    report = import_readings(file=io.BytesIO(data), recorded_by=org.admin)
    assert report.file_error.startswith("The file is not UTF-8 text")


def test_a_field_too_large_for_csv_is_refused(org, fcr):
    report = run(org, "fcr,bob,2026-10-05,80,," + "x" * 200_000)
    assert report.file_error.startswith("Line 2 cannot be read as CSV (field larger than field limit")


def test_a_file_with_too_many_rows_is_refused(org, fcr, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    monkeypatch.setattr(imports, "BATCH", 2)
    lines = [f"fcr,bob,2026-10-0{day},80,," for day in range(1, 5)]
    report = run(org, *lines, valid_only=True)
    assert not report.saved and "more than 3 readings" in report.file_error
    assert Reading.objects.count() == 0
    assert run(org, *lines[:3]).saved


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ("nope,bob,2026-10-05,80,,", "metric", "There is no metric with the code “nope”"),
        (",bob,2026-10-05,80,,", "metric", "Give the metric's code."),
        ("fcr,zoe,2026-10-05,80,,", "person", "Nobody has the username or e-mail address “zoe”."),
        ("fcr,bob,05/10/2026,80,,", "measured_at", "“05/10/2026” is not a date and time"),
        ("fcr,bob,2026-10-05T25:00,80,,", "measured_at", "is not a date and time"),
        ("fcr,bob,,80,,", "measured_at", "Give the date"),
        ("fcr,bob,2026-10-05,eighty,,", "value", "“eighty” is not a number"),
        ("fcr,bob,2026-10-05,nan,,", "value", "“nan” is not a number"),
        ("fcr,bob,2026-10-05,1_000,,", "value", "“1_000” is not a number"),
        # Changed in issue 12: a decimal comma in a file with decimal points is named as such, with its meaning.
        ('fcr,bob,2026-10-05,"80,5",,', "value", "“80,5” is written with a decimal comma (80.5)"),
        ("fcr,bob,2026-10-05,,,", "value", "Give the value."),
        ("fcr,bob,2026-10-05,80,x,", "denominator", "“x” is not a number"),
        ("fcr,bob,2026-10-05,80,,," + "x" * 3, "file", "This line has 7 values but the header names 6 columns"),
        ("fcr,bob,2026-10-05,80,," + "x" * 501, "note", "The note has 501 characters"),
        ("fcr,bob,2026-10-05,80,,a\x00b", "note", "The note contains a NUL character"),
        # From here on the reading service decides, and says why.
        ("fcr,bob,2026-10-05,101,,", "value", "above the highest valid value"),
        ("fcr,bob,2026-10-05,-1,,", "value", "below the lowest valid value"),
        ("fcr,,2026-10-05,80,,", "person", "Choose whose reading this is"),
        ("calls,bob,2026-10-05,80,,", "person", "leave the person empty"),
        ("defects,bob,2026-10-05,3,,", "denominator", "give units shipped, a number above 0"),
        ("fcr,bob,2026-10-05,80,12,", "denominator", "is not a ratio"),
        ("fcr,charlie,2026-10-05,80,,", "person", "is not in Support"),
        ("fcr,bob,2999-01-01,80,,", "measured_at", "Readings cannot be in the future"),
    ],
)
def test_each_bad_row_gets_its_own_message(org, fcr, calls, defects, line, field, message):
    report = run(org, "fcr,alice,2026-10-04,80,,", line)
    assert not report.saved
    assert (report.rows, report.rejected_rows) == (2, 1)
    [problem] = report.problems
    assert (problem.line, problem.field) == (3, field)
    assert message in problem.message
    assert Reading.objects.count() == 0


def test_readings_in_a_closed_period_are_refused(org, fcr):
    ClosedPeriod.objects.create(
        department=org.support, period="month", start="2026-09-01", end="2026-09-30", scorecard={}
    )
    report = run(org, "fcr,bob,2026-09-15,80,,", "fcr,bob,2026-10-01,80,,", by=org.alice)
    assert problems(report) == [(2, "measured_at")]
    assert "is closed" in report.problems[0].message


def test_an_archived_metric_takes_no_readings(org, fcr):
    fcr.archived_at = timezone.now()
    fcr.save()
    report = run(org, "fcr,bob,2026-10-05,80,,")
    assert "is archived" in report.problems[0].message


def test_one_row_can_have_several_problems(org, fcr):
    report = run(org, "nope,zoe,someday,many,,")
    assert problems(report) == [(2, "metric"), (2, "person"), (2, "measured_at"), (2, "value")]
    assert (report.rejected_rows, report.problem_count) == (1, 4)


def test_the_same_reading_twice_in_a_file_is_a_problem_naming_the_first_line(org, fcr, calls):
    report = run(
        org,
        "fcr,bob,2026-10-05T09:30Z,80,,",
        "calls,,2026-10-05T09:30Z,5,,",
        "fcr,bob,2026-10-05T10:30+01:00,85,,",
        "calls,,2026-10-05T09:30Z,6,,",
    )
    assert problems(report) == [(4, "measured_at"), (5, "measured_at")]
    assert report.problems[0].message.startswith("Same reading as line 2")
    assert report.problems[1].message.startswith("Same reading as line 3")


def test_one_bad_row_saves_nothing(org, fcr):
    report = run(org, *[f"fcr,bob,2026-10-{day:02d},80,," for day in range(1, 20)], "fcr,bob,2026-10-20,800,,")
    assert not report.saved
    assert (report.rows, report.valid_rows, report.rejected_rows) == (20, 19, 1)
    assert "Fix them, or import the valid rows only" in report.summary()
    assert Reading.objects.count() == 0 and RollupQueue.objects.count() == 0


def test_valid_only_saves_the_good_rows_and_reports_the_others(org, fcr):
    report = run(
        org,
        "fcr,bob,2026-10-05,80,,",
        "fcr,bob,2026-10-06,800,,",
        "fcr,zoe,2026-10-06,80,,",
        "fcr,bob,2026-10-05,81,,",
        "fcr,alice,2026-10-06,90,,",
        valid_only=True,
    )
    assert report.saved
    assert (report.rows, report.created, report.rejected_rows) == (5, 2, 3)
    assert problems(report) == [(3, "value"), (4, "person"), (5, "measured_at")]
    assert sorted(Reading.objects.values_list("value", flat=True)) == [80, 90]  # the first of the twins
    assert report.summary("f.csv") == "Imported 2 readings from f.csv: 2 new, 0 updated, 3 rows rejected."


def test_a_crash_midway_leaves_nothing(org, fcr, calls, monkeypatch):
    writes = []
    if connection.vendor == "postgresql":  # one write per kind of owner: crash on the second, the first is in
        real = import_staging._write

        def crash_on_the_second_write(cursor, **kwargs):
            writes.append(1)
            if len(writes) == 2:
                raise RuntimeError("worker killed")
            return real(cursor, **kwargs)

        monkeypatch.setattr(import_staging, "_write", crash_on_the_second_write)
    else:  # row by row: one write per batch
        monkeypatch.setattr(imports, "BATCH", 2)
        real = imports.record_readings

        def crash_on_the_second_batch(**kwargs):
            writes.append(1)
            if len(writes) == 2:
                raise RuntimeError("worker killed")
            return real(**kwargs)

        monkeypatch.setattr(imports, "record_readings", crash_on_the_second_batch)
    with pytest.raises(RuntimeError):
        run(org, *[f"fcr,bob,2026-10-{day:02d},80,," for day in range(1, 6)], "calls,,2026-10-01,5,,", valid_only=True)
    assert Reading.objects.count() == 0 and RollupQueue.objects.count() == 0


def test_it_nudges_one_rollup_for_a_file_of_many_batches(org, fcr, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(imports, "BATCH", 2)
    nudges = []
    monkeypatch.setattr(readings, "_enqueue_rollup", lambda: nudges.append(1))
    with django_capture_on_commit_callbacks(execute=True):
        report = run(org, *[f"fcr,bob,2026-10-{day:02d},80,," for day in range(1, 8)])
    assert report.saved and report.created == 7
    assert nudges == [1]


def test_a_file_that_saves_nothing_nudges_no_rollup(org, fcr, monkeypatch, django_capture_on_commit_callbacks):
    nudges = []
    monkeypatch.setattr(readings, "_enqueue_rollup", lambda: nudges.append(1))
    with django_capture_on_commit_callbacks(execute=True):
        report = run(org, "fcr,bob,2026-10-01,80,,", "fcr,bob,2026-10-02,800,,")
    assert not report.saved
    assert nudges == []


def test_a_row_refused_while_writing_rolls_back_the_whole_import(org, fcr, monkeypatch):
    """A period closed between the check and the write: the service refuses the row, nothing stays."""
    monkeypatch.setattr(imports, "BATCH", 2)
    monkeypatch.setattr(imports, "check_readings", lambda **kwargs: [])  # the check saw nothing wrong then
    report = run(org, "fcr,bob,2026-10-01,80,,", "fcr,bob,2026-10-02,80,,", "fcr,bob,2026-10-03,800,,")
    assert not report.saved
    assert problems(report) == [(4, "value")]
    assert Reading.objects.count() == 0


def test_problems_are_all_counted_but_only_the_first_are_kept(org, fcr, monkeypatch):
    monkeypatch.setattr(import_reports, "SHOWN_PROBLEMS", 5)
    report = run(org, *[f"fcr,bob,2026-10-{day:02d},800,," for day in range(1, 13)])
    assert (report.problem_count, len(report.problems), report.unshown_problems) == (12, 5, 7)
    assert [p.line for p in report.problems] == [2, 3, 4, 5, 6]


def test_the_check_shows_the_first_rows_and_writes_nothing(org, fcr):
    lines = [f"fcr,bob,2026-10-01T{hour:02d}:{minute:02d}Z,80,," for hour in range(5) for minute in range(0, 60, 10)]
    report = check_import(file=csv_file(*lines, "fcr,bob,2026-10-02,101,,"), recorded_by=org.alice)
    assert (report.rows, report.rejected_rows) == (31, 1)
    assert [row.line for row in report.preview] == list(range(2, 22))
    assert report.preview[0].values == {
        "metric": "fcr",
        "person": "bob",
        "measured_at": "2026-10-01T00:00Z",
        "value": "80",
        "denominator": "",
        "note": "",
    }
    assert not report.saved and Reading.objects.count() == 0


def test_an_employee_can_import_their_own_readings(org, fcr):
    report = run(org, "fcr,bob,2026-10-05,80,,", by=org.bob)
    assert report.saved and Reading.objects.get().recorded_by == org.bob


def test_an_employee_cannot_import_someone_elses_readings(org, fcr):
    alice_in_front_line = run(org, "fcr,bob,2026-10-05,80,,", "fcr,alice,2026-10-05,80,,", by=org.bob)
    assert problems(alice_in_front_line) == [(3, "metric")]
    assert "You may not record readings of “First-contact resolution” for Alice Archer" in (
        alice_in_front_line.problems[0].message
    )
    assert Reading.objects.count() == 0


def test_an_employee_cannot_import_department_readings(org, calls):
    report = run(org, "calls,,2026-10-05,80,,", by=org.bob)
    assert problems(report) == [(2, "metric")]


def test_a_manager_can_import_for_their_departments(org, fcr, calls):
    report = run(org, "fcr,bob,2026-10-05,80,,", "fcr,alice,2026-10-05,80,,", "calls,,2026-10-05,9,,", by=org.alice)
    assert report.saved and report.created == 3


def test_a_manager_cannot_import_another_departments_metric(org, fcr, deals):
    report = run(org, "deals,charlie,2026-10-05,2,,", "fcr,bob,2026-10-05,80,,", by=org.alice)
    assert problems(report) == [(2, "metric")]
    assert "You may not record readings of “Deals closed”" in report.problems[0].message
    assert Reading.objects.count() == 0


def test_a_manager_cannot_import_for_people_outside_their_departments(org):
    company_wide = MetricFactory(department=org.acme, name="Courtesy", code="courtesy")
    report = run(org, "courtesy,bob,2026-10-05,80,,", "courtesy,charlie,2026-10-05,80,,", by=org.alice)
    assert problems(report) == [(2, "metric"), (3, "metric")]  # alice manages Support, not Acme or Sales
    assert run(org, "courtesy,charlie,2026-10-05,80,,", by=org.charlie).saved
    assert Reading.objects.get().metric == company_wide


def test_people_are_found_by_username_or_email_in_any_case(org, fcr):
    report = run(org, "fcr,BOB,2026-10-05,80,,", "fcr,Alice@Example.com,2026-10-05,80,,")
    assert report.saved and set(Reading.objects.values_list("person__username", flat=True)) == {"alice", "bob"}


def test_a_2000_row_import_runs_a_bounded_number_of_queries(org, fcr, calls, django_assert_max_num_queries):
    start = datetime(2026, 9, 1, tzinfo=UTC)
    lines = []
    for n in range(1000):
        when = (start + timedelta(hours=n)).isoformat()
        lines += [f"fcr,{'bob' if n % 2 else 'alice@example.com'},{when},{n % 100},,", f"calls,,{when},{n},,"]
    file = csv_file(*lines)
    # One pass in one transaction (a savepoint here): metrics by code, people by username or e-mail, closed
    # periods, alice's managed paths (cached on her after that) = 4; record_readings and store_rows in their
    # savepoints: 2 savepoints; per kind of owner an existence count and an upsert (4), then two inserts of 1,000
    # rollup-queue keys; then 3 releases; and whether any webhook subscribes to readings below target (1). SQLite 16.
    # PostgreSQL stages the file instead (metrics.services.import_staging): a savepoint; the staging tables (one
    # statement); metrics by code and people by name (the COPY of the rows is not counted); ANALYZE and the
    # duplicates (one statement); the metrics and people of the kinds of row to ask permission for, alice's
    # managed paths, the permitted kinds; whether a closed period meets the file; the suspect rows; their wording
    # (a query finding none); the report (counts, first problems, the preview's metrics, people and problems);
    # whether readings are stored on the file's days already, two inserts (each in a savepoint, with its rollup
    # keys); a release; the webhook subscription check: 26, whatever the size of the file.
    # Every query is per batch of imports.BATCH rows (5,000), none per row.
    with django_assert_max_num_queries(17 if connection.vendor == "sqlite" else 26):
        report = import_readings(file=file, recorded_by=org.alice)
    assert report.saved and report.created == 2000


def test_the_file_is_streamed_in_chunks_and_batches(org, fcr, monkeypatch):
    class ChunksOnly(io.BytesIO):
        """A file that fails the test if anyone asks for all of it at once."""

        def read(self, size=-1):
            assert size is not None and size >= 0, "the whole file was read at once"
            return super().read(size)

        def read1(self, size=-1):
            return self.read(size)

        def readall(self):
            raise AssertionError("the whole file was read at once")

        def readlines(self, hint=-1):
            raise AssertionError("the whole file was read at once")

        def getvalue(self):
            raise AssertionError("the whole file was taken at once")

    start = datetime(2026, 1, 1, tzinfo=UTC)
    data = csv_file(*[f"fcr,bob,{(start + timedelta(minutes=n)).isoformat()},{n % 100},," for n in range(3000)])
    size = len(data.getvalue())
    file = ChunksOnly(data.getvalue())
    read_so_far = []
    real_record = imports.record_readings

    def record_readings(**kwargs):
        read_so_far.append(file.tell())
        return real_record(**kwargs)

    monkeypatch.setattr(imports, "BATCH", 500)
    monkeypatch.setattr(imports, "record_readings", record_readings)
    if connection.vendor == "postgresql":  # the rows go to the staging table a batch at a time
        real_copy = import_staging._copy

        def copy(cursor, table, buffer, **kwargs):
            if table == import_staging.STAGE:
                read_so_far.append(file.tell())
            return real_copy(cursor, table, buffer, **kwargs)

        monkeypatch.setattr(import_staging, "BATCH", 500)
        monkeypatch.setattr(import_staging, "_copy", copy)
    report = import_readings(file=file, recorded_by=org.admin)
    assert report.saved and report.created == 3000
    assert len(read_so_far) == 6
    assert read_so_far[0] < size / 3, "the first batch was written only after most of the file had been read"


@given(
    number=st.decimals(min_value=-(10**9), max_value=10**9, places=3, allow_nan=False, allow_infinity=False),
    decimal=st.sampled_from(["point", "comma"]),
    grouped=st.booleans(),
)
def test_a_number_written_with_the_declared_separator_reads_back_exactly(number, decimal, grouped):
    text = f"{number:,.3f}" if grouped else f"{number:.3f}"
    if decimal == "comma":
        text = text.translate(str.maketrans(",.", ".,"))
    assert imports.parse_number(text, decimal=decimal) == float(number)


@given(
    whole=st.integers(min_value=1, max_value=999),
    thousandths=st.integers(min_value=0, max_value=999),
    decimal=st.sampled_from(["point", "comma"]),
)
def test_one_group_of_three_digits_is_never_guessed(whole, thousandths, decimal):
    other = "," if decimal == "point" else "."
    with pytest.raises(ValueError, match="so it is read neither way"):
        imports.parse_number(f"{whole}{other}{thousandths:03d}", decimal=decimal)
