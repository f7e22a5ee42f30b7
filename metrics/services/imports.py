"""CSV import of readings: a file is streamed, checked through the reading service's rules, then recorded.

On SQLite each batch of rows is checked and recorded through record_readings(); on PostgreSQL the rows go to a
staging table and are checked there by set statements (metrics.services.import_staging), with the same messages.

The format (also shown, with a template to download, on the upload page):

    metric,person,measured_at,value,denominator,note
    first-contact-resolution,bob,2026-11-02T14:30,87.5,,after the new greeting
    first-contact-resolution,bob@example.com,2026-11-03,"1,234.5",,
    defects-per-1000-units,,2026-11-02T17:00+01:00,3,1250,counted by the line lead

- Column names are case-insensitive and in any order; metric, measured_at and value are required.
- metric: the metric's code. person: a username or e-mail address, empty for department metrics.
- measured_at: an ISO 8601 date and time, with an offset (+01:00, Z) or without one, meaning the organization's
  time zone; or just a date, meaning noon that day in the organization's time zone.
- value and denominator: numbers written with the file's decimal separator, chosen at the upload (or detected:
  a file whose columns are separated by semicolons, the usual European shape, has decimal commas; otherwise a
  point). With a decimal point, commas may group thousands ("1,234.5", quoted in a comma-separated file); with
  a decimal comma, points may ("1.234,5"). A value whose separator could be either ("1,500": 1500 or 1.5?) or
  is clearly the other decimal separator ("87,5" in a file with decimal points) is refused, never guessed.
  denominator only for ratio metrics. note: optional, up to 500 characters.

Nothing here decides whether a reading is acceptable (who may record it, its range, closed periods, the future):
metrics.services.readings does, for every source. This module turns text into ReadingRow objects, reports what cannot be
read, and spots the same reading twice in one file.
"""

import codecs
import csv
import io
import math
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain, islice
from typing import BinaryIO

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Lower

from core import dates, periods
from core.exceptions import RuleViolation
from core.import_reports import ImportReport as BaseImportReport
from metrics.models import Metric, Reading
from metrics.services.readings import (
    ReadingRow,
    ReadingsRejected,
    RowError,
    check_readings,
    nudge_rollup_on_commit,
    record_readings,
)
from org.models import User

COLUMNS = ("metric", "person", "measured_at", "value", "denominator", "note")
REQUIRED = ("metric", "measured_at", "value")
MAX_ROWS = 1_000_000
MAX_BYTES = 50 * 1024 * 1024
MAX_NOTE = Reading._meta.get_field("note").max_length
BATCH = 5_000  # rows resolved, checked and recorded together: a few queries each, a few MB of memory
CHUNK = 64 * 1024

TEMPLATE = (
    "metric,person,measured_at,value,denominator,note\r\n"
    "first-contact-resolution,bob,2026-11-02T14:30,87.5,,after the new greeting\r\n"
    "first-contact-resolution,bob@example.com,2026-11-03,91,,\r\n"
    "defects-per-1000-units,,2026-11-02T17:00+01:00,3,1250,counted by the line lead\r\n"
)

POINT, COMMA = "point", "comma"
DECIMALS = {POINT: ".", COMMA: ","}  # the decimal separators a file may declare, and their character


class ImportFileError(RuleViolation):
    """A problem with the file as a whole (empty, not UTF-8, wrong columns, too big): no row is read past it."""

    def __init__(self, message: str):
        super().__init__(message, field="file")


@dataclass
class ParsedRow:
    """One line of the file: its text by column, and the reading read from it or the problems that stopped it."""

    line: int
    values: dict[str, str]
    reading: ReadingRow | None
    problems: list[RowError] = field(default_factory=list)


@dataclass
class ImportReport(BaseImportReport):
    """What a readings import (or a check) found, for pages and commands; `updated` counts replaced readings."""

    updated: int = 0
    decimal: str = POINT  # the file's decimal separator (POINT or COMMA), as read
    decimal_detected: bool = False  # True when it was detected from the file's shape rather than chosen
    delimiter: str = ","  # what separates the file's columns

    def summary(self, name: str = "the file") -> str:
        """One line for people: what was imported from `name`, or why nothing was."""
        if self.file_error:
            return f"Nothing imported from {name}: {self.file_error}"
        if not self.saved:
            verb = "has" if self.rejected_rows == 1 else "have"
            return (
                f"Nothing imported from {name}: {self.rejected_rows:,} of {_count(self.rows, 'row')} {verb} "
                f"problems ({self.problem_count:,} in all). Fix them, or import the valid rows only."
            )
        return (
            f"Imported {_count(self.created + self.updated, 'reading')} from {name}: {self.created:,} new, "
            f"{self.updated:,} updated, {_count(self.rejected_rows, 'row')} rejected."
        )


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def check_import(*, file: BinaryIO, recorded_by: User, decimal: str | None = None) -> ImportReport:
    """Read a whole file and check every row as recorded_by, writing nothing.

    file: a binary file object, read in chunks from its current position. decimal: the file's decimal
    separator, POINT or COMMA; None detects it from the file's shape (see detect_decimal()). Returns the counts,
    the first problems and the first rows (core.import_reports); a problem with the whole file is in file_error.
    """
    try:
        with transaction.atomic():  # PostgreSQL's staging tables live until the end of a transaction
            return _run(file=file, recorded_by=recorded_by, write=False, decimal=decimal)
    except ImportFileError as error:
        return ImportReport(file_error=error.message)


class _NothingSaved(Exception):
    """Raised inside the import's transaction to roll it back; carries the report of what was wrong."""

    def __init__(self, report: "ImportReport"):
        super().__init__("the import had problems and was rolled back")
        self.report = report


def import_readings(
    *,
    file: BinaryIO,
    recorded_by: User,
    valid_only: bool = False,
    source: str = Reading.Source.CSV,
    decimal: str | None = None,
) -> ImportReport:
    """Record the readings of a CSV file through record_readings(), in one transaction and one pass.

    All or nothing by default: the rows are checked and written batch by batch inside one transaction, and if
    any row had a problem the transaction is rolled back at the end, so nothing is saved and the report lists
    every problem. With valid_only=True the rows without problems are kept and the others reported. A crash
    rolls everything back either way. The report's `saved` says whether anything was committed. decimal: as
    for check_import().
    """
    try:
        with transaction.atomic():
            # Row by row (SQLite) the valid rows are written as they go and rolled back if any row had a problem;
            # the staged path (PostgreSQL) writes only when the whole file may be.
            staged = connection.vendor == "postgresql"
            report = _run(
                file=file,
                recorded_by=recorded_by,
                write=True,
                valid_only=valid_only if staged else True,
                source=source,
                decimal=decimal,
            )
            if not valid_only and not report.ok:
                raise _NothingSaved(report)
            if report.created or report.updated:
                nudge_rollup_on_commit()  # once for the whole file, not once per batch
    except ImportFileError as error:
        return ImportReport(file_error=error.message)
    except _NothingSaved as rolled_back:
        report = rolled_back.report
        report.created = report.updated = 0
        return report
    report.saved = True
    return report


def _run(
    *,
    file: BinaryIO,
    recorded_by: User,
    write: bool,
    valid_only: bool = False,
    source: str = Reading.Source.CSV,
    decimal: str | None = None,
) -> ImportReport:
    if connection.vendor == "postgresql":
        from metrics.services import import_staging

        return import_staging.run(
            file=file, recorded_by=recorded_by, write=write, valid_only=valid_only, source=source, decimal=decimal
        )
    shape = FileShape()
    report = ImportReport()
    seen = _SeenReadings()
    rows = parse_readings(stream=file, decimal=decimal, shape=shape)
    while batch := list(islice(rows, BATCH)):
        readings = []
        for row in batch:
            if row.reading is None:
                continue
            earlier = seen.add(row.reading, row.line)
            if earlier is None:
                readings.append(row.reading)
            else:
                row.problems.append(
                    RowError(
                        row.line,
                        "measured_at",
                        f"Same reading as line {earlier}: the same "
                        "metric, person and time appear twice. Keep one of them.",
                    )
                )
        if write and not valid_only and any(row.problems for row in batch):
            raise ReadingsRejected([problem for row in batch for problem in row.problems])
        if write:
            recorded = record_readings(
                rows=readings, recorded_by=recorded_by, source=source, valid_only=valid_only, nudge_rollup=False
            )
            report.created += recorded.created
            report.updated += recorded.updated
            errors = recorded.rejected
        else:
            errors = check_readings(rows=readings, recorded_by=recorded_by)
        if errors:
            by_line = defaultdict(list)
            for error in errors:
                by_line[error.line].append(error)
            for row in batch:
                row.problems.extend(by_line.get(row.line, ()))
        for row in batch:
            report.add(row)
    report.decimal, report.decimal_detected, report.delimiter = shape.decimal, shape.detected, shape.delimiter
    return report


class _SeenReadings:
    """The first line of each (metric, owner, time) in a file. One exact integer key and a line number per row:
    about 120 bytes a row (120 MB at MAX_ROWS), against several times that to keep the rows themselves."""

    def __init__(self):
        self.lines: dict[int, int] = {}

    def add(self, reading: ReadingRow, line: int) -> int | None:
        """The earlier line with the same reading, or None (and remember this one)."""
        # Exact: a float timestamp is within a quarter of a microsecond for centuries around 1970.
        micros = round(reading.measured_at.timestamp() * 1_000_000)
        owner = reading.person.id if reading.person is not None else 0
        key = (((reading.metric.id << 64) | owner) << 64) | (micros + (1 << 63))
        earlier = self.lines.get(key)
        if earlier is None:
            self.lines[key] = line
        return earlier


@dataclass
class FileShape:
    """How a file is written: what separates its columns, and its decimal separator (chosen or detected)."""

    delimiter: str = ","
    decimal: str = POINT
    detected: bool = False


def detect_decimal(delimiter: str) -> str:
    """The decimal separator a file of this shape has when nobody says: semicolon-separated files are what
    spreadsheets write where a comma is the decimal separator (most of Europe); other files use a point."""
    return COMMA if delimiter == ";" else POINT


def read_header(*, stream: BinaryIO, shape: "FileShape | None" = None) -> dict[str, int]:
    """The file's columns ({name: position}) from its first line; raises ImportFileError if they are wrong.
    shape, when given, is filled in with the file's column delimiter and the decimal separator it suggests.

    Reads only as far as the header (a chunk); the caller rewinds the stream if it reads on.
    """
    shape = shape if shape is not None else FileShape()
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        columns = _columns(_records(text, stream=stream, shape=shape))
        shape.decimal, shape.detected = detect_decimal(shape.delimiter), True
        return columns
    finally:
        text.detach()  # leave the caller's file open


def parse_readings(
    *, stream: BinaryIO, decimal: str | None = None, shape: "FileShape | None" = None
) -> Iterator[ParsedRow]:
    """The rows of a CSV file as ParsedRow objects, streamed: the file is read in chunks through a text wrapper,
    and metric codes and people are looked up a batch at a time (two queries at most per BATCH rows).

    The columns are separated by commas or semicolons (as the header line shows). decimal: the file's decimal
    separator, POINT or COMMA, or None to detect it from the delimiter (detect_decimal()); shape, when given, is
    filled in with what was used once the header is read.

    Raises ImportFileError when the file as a whole cannot be read: empty, not UTF-8, wrong columns, no rows,
    more than MAX_ROWS rows.
    """
    if decimal not in (None, *DECIMALS):
        raise ValueError(f"decimal must be {POINT!r}, {COMMA!r} or None, not {decimal!r}")
    shape = shape if shape is not None else FileShape()
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    zone = periods.organization_zone()
    lookup = _Lookup()
    try:
        records = _records(text, stream=stream, shape=shape)
        columns = _columns(records)
        shape.decimal, shape.detected = (decimal, False) if decimal else (detect_decimal(shape.delimiter), True)
        count = 0
        while batch := list(islice(records, BATCH)):
            count += len(batch)
            if count > MAX_ROWS:
                raise ImportFileError(
                    f"The file has more than {MAX_ROWS:,} readings. Split it into files of at "
                    f"most {MAX_ROWS:,} rows and import them one after the other."
                )
            lookup.load(columns=columns, records=batch)
            for line, fields in batch:
                yield _parse_row(
                    line,
                    fields,
                    columns=columns,
                    lookup=lookup,
                    zone=zone,
                    decimal=shape.decimal,
                    delimiter=shape.delimiter,
                )
        if not count:
            raise ImportFileError("The file has a header but no readings below it.")
    finally:
        text.detach()


def _records(text: io.TextIOWrapper, *, stream: BinaryIO, shape: FileShape) -> Iterator[tuple[int, list[str]]]:
    """(first line number, fields) of each non-blank CSV record, with reading errors turned into ImportFileError.
    The delimiter (comma or semicolon) is the one the header line uses; shape.delimiter is set to it."""
    origin = stream.tell() if stream.seekable() else None
    end = 0
    try:
        first = text.readline()
        shape.delimiter = ";" if first.count(";") > first.count(",") else ","
        reader = csv.reader(chain([first], text), delimiter=shape.delimiter)
        for fields in reader:
            start, end = end + 1, reader.line_num
            if any(fields):  # not a blank line, nor one of commas only
                yield start, fields
    except UnicodeDecodeError:
        line = _undecodable_line(stream, origin) if origin is not None else None
        where = f" (line {line} is not)" if line else ""
        raise ImportFileError(
            f"The file is not UTF-8 text{where}: save it from your spreadsheet as “CSV UTF-8” and upload it again."
        ) from None
    except csv.Error as error:
        raise ImportFileError(
            f"Line {end + 1} cannot be read as CSV ({error}). Is this a CSV file? Save it from "
            "your spreadsheet as “CSV UTF-8”."
        ) from None


def _undecodable_line(stream: BinaryIO, origin: int) -> int | None:
    """The line of the first byte that is not UTF-8. The text wrapper decodes whole chunks, so it cannot say;
    this second look happens only for a file already refused, reading it again in chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    stream.seek(origin)
    while chunk := stream.read(CHUNK):
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as error:
            return line + chunk.count(b"\n", 0, max(error.start, 0))
        line += chunk.count(b"\n")
    return None


def _columns(records: Iterator[tuple[int, list[str]]]) -> dict[str, int]:
    header = next(records, None)
    if header is None:
        raise ImportFileError(
            f"The file is empty. Choose a CSV file whose first line names the columns: {','.join(COLUMNS)}."
        )
    if any("\x00" in name for name in header[1]):
        raise ImportFileError(
            "The file is not UTF-8 text (it looks like UTF-16 or a binary file such as a "
            "workbook). Save it from your spreadsheet as “CSV UTF-8” and upload it again."
        )
    names = [name.strip().lower().replace(" ", "_").replace("-", "_") for name in header[1]]
    problems = []
    unknown = [name or "(no name)" for name in names if name not in COLUMNS]
    if unknown:
        problems.append(f"unknown column(s) {_quoted(unknown)}")
    twice = sorted({name for name in names if names.count(name) > 1 and name in COLUMNS})
    if twice:
        problems.append(f"column(s) {_quoted(twice)} appear more than once")
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        problems.append(f"missing column(s) {_quoted(missing)}")
    if problems:
        raise ImportFileError(
            f"The first line must name the columns: {'; '.join(problems)}. The columns are "
            f"{', '.join(COLUMNS)} (metric, measured_at and value are required)."
        )
    return {name: position for position, name in enumerate(names)}


def _quoted(names: list[str]) -> str:
    return ", ".join(f"“{name}”" for name in names)


class _Lookup:
    """Metrics by code and people by lower-cased username or e-mail. What is found is kept for later batches
    (bounded by the organization's size); what is not found is asked for again, at most once a batch."""

    def __init__(self):
        self.metrics: dict[str, Metric] = {}
        self.people: dict[str, User] = {}

    def load(self, *, columns: dict[str, int], records: list[tuple[int, list[str]]]) -> None:
        codes = self._column(records, columns["metric"]) - self.metrics.keys()
        if codes:
            # select_related: the service reads the metric's department for every row.
            for metric in Metric.objects.filter(code__in=codes).select_related("department"):
                self.metrics[metric.code] = metric
        if "person" not in columns:
            return
        names = {name.lower() for name in self._column(records, columns["person"])} - self.people.keys()
        if names:
            people = (
                User.objects.annotate(username_ci=Lower("username"), email_ci=Lower("email"))
                .filter(Q(username_ci__in=names) | Q(email_ci__in=names))
                .select_related("department")
            )
            by_username = {}
            for person in people:
                by_username[person.username.lower()] = person
                self.people.setdefault(person.email.lower(), person)
            self.people.update(by_username)  # a username wins over someone else's e-mail address

    @staticmethod
    def _column(records, position: int) -> set[str]:
        return {fields[position].strip() for _, fields in records if position < len(fields)} - {""}


def _parse_row(
    line: int,
    fields: list[str],
    *,
    columns: dict[str, int],
    lookup: _Lookup,
    zone,
    decimal: str = POINT,
    delimiter: str = ",",
) -> ParsedRow:
    width = len(columns)
    if len(fields) < width:  # trailing empty cells left out
        fields = fields + [""] * (width - len(fields))
    values = dict(zip(columns, map(str.strip, fields), strict=False))  # columns are in file order
    row = ParsedRow(line, values, None)

    def fail(where: str, message: str) -> None:
        row.problems.append(RowError(line, where, message))

    if len(fields) > width:
        sign, name = (",", "commas") if delimiter == "," else (";", "semicolons")
        fail(
            "file",
            f"This line has {len(fields)} values but the header names {width} columns. Put "
            f'values that contain {name} in double quotes ("late{sign} but counted").',
        )
        return row
    metric = person = measured_at = value = denominator = None
    if not values["metric"]:
        fail("metric", "Give the metric's code.")
    elif (metric := lookup.metrics.get(values["metric"])) is None:
        fail(
            "metric",
            f"There is no metric with the code “{values['metric']}”. The import page lists the codes of your metrics.",
        )
    name = values.get("person", "")
    if name and (person := lookup.people.get(name.lower())) is None:
        fail("person", f"Nobody has the username or e-mail address “{name}”.")
    if not values["measured_at"]:
        fail("measured_at", "Give the date, or date and time, of the reading, e.g. 2026-11-02T14:30.")
    else:
        try:
            measured_at = parse_moment(values["measured_at"], zone=zone)
        except ValueError as error:
            fail("measured_at", str(error))
    if not values["value"]:
        fail("value", "Give the value.")
    else:
        try:
            value = parse_number(values["value"], decimal=decimal)
        except ValueError as error:
            fail("value", f"Value: {error}")
    if values.get("denominator"):
        try:
            denominator = parse_number(values["denominator"], decimal=decimal)
        except ValueError as error:
            fail("denominator", f"Denominator: {error}")
    note = values.get("note", "")
    if len(note) > MAX_NOTE:
        fail("note", f"The note has {len(note):,} characters; shorten it to {MAX_NOTE} at most.")
    elif "\x00" in note:  # PostgreSQL refuses NUL in text
        fail("note", "The note contains a NUL character, which is not text. Remove it.")
    if not row.problems:
        row.reading = ReadingRow(
            metric=metric,
            person=person,
            measured_at=measured_at,
            value=value,
            denominator=denominator,
            note=note,
            line=line,
        )
    return row


def parse_number(text: str, *, decimal: str = POINT) -> float:
    """A number written with the file's decimal separator (POINT: 1234.5, COMMA: 1234,5), optionally grouping
    thousands with the other one (1,234.5 or 1.234,5).

    A separator is never guessed: a value whose separator can only be the other decimal separator ("87,5" or
    "0,500" with decimal points) or could be either ("1,500": 1500 or 1.5?) raises ValueError with a message
    that says how it would be read each way and how to write it.
    """
    mark = DECIMALS[decimal]
    group = "," if mark == "." else "."
    example = f"e.g. {_written('87.5', mark)} or {_written('1234.5', mark, grouped=True)}"
    if group in text:
        if re.fullmatch(rf"[+-]?[1-9]\d{{0,2}}{re.escape(group)}\d{{3}}", text):
            thousands, fraction = _plain(text.replace(group, "")), _plain(text.replace(group, "."))
            raise ValueError(
                f"“{text}” could be {thousands} (a {_name(group)} grouping thousands) or {fraction} (a decimal "
                f"{_name(group)}), so it is read neither way. The file's decimal separator is a {_name(mark)}: "
                f"write {thousands} if you meant {thousands}; if you meant {fraction}, write "
                f"{_written(fraction, mark)} or choose the decimal {_name(group)} for the file."
            )
        grouped = rf"[+-]?[1-9]\d{{0,2}}(?:{re.escape(group)}\d{{3}})+"
        if re.fullmatch(rf"{grouped}{re.escape(mark)}\d+|{grouped}", text):
            text = text.replace(group, "")  # several groups, or a group and the decimal separator: unambiguous
        elif re.fullmatch(rf"[+-]?\d*{re.escape(group)}\d+", text):
            meant = _plain(text.replace(group, "."))
            raise ValueError(
                f"“{text}” is written with a decimal {_name(group)} ({meant}), but the file's decimal separator "
                f"is a {_name(mark)}. Write {_written(meant, mark)}, or choose the decimal {_name(group)} for the "
                "file when you upload it."
            )
        else:
            raise ValueError(
                f"“{text}” is not a number. The file's decimal separator is a {_name(mark)} "
                f"({_written('87.5', mark)}), and {_name(group)}s may only group thousands "
                f"({_written('1234.5', mark, grouped=True)})."
            )
    if mark == ",":
        if text.count(",") > 1:
            raise ValueError(f"“{text}” is not a number, {example}.")
        text = text.replace(",", ".")
    try:
        if "_" in text:
            raise ValueError
        number = float(text)
    except ValueError:
        raise ValueError(f"“{text}” is not a number, {example}.") from None
    if not math.isfinite(number):
        raise ValueError(f"“{text}” is not a number, {example}.")
    return number


def _name(separator: str) -> str:
    return "point" if separator == "." else "comma"


def _plain(number: str) -> str:
    """A number as people read it, with a point for decimals and no trailing zeros ("1.500" -> "1.5")."""
    text = number.lstrip("+")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    sign = "-" if text.startswith("-") else ""
    digits = text.removeprefix("-")
    return sign + ("0" + digits if digits.startswith(".") else digits or "0")


def _written(number: str, mark: str, *, grouped: bool = False) -> str:
    """A point-decimal number ("1234.5") as the file should write it with decimal separator `mark`."""
    text = _plain(number)
    whole, _, fraction = text.partition(".")
    if grouped:
        digits = whole.lstrip("-")
        whole = whole[: len(whole) - len(digits)] + f"{int(digits):,}".replace(",", "." if mark == "," else ",")
    return whole + (mark + fraction if fraction else "")


def parse_moment(text: str, *, zone) -> datetime:
    """An ISO 8601 date and time (naive means the organization's zone), or a date (noon that day, local)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"“{text}” is not a date and time. Write it as 2026-11-02T14:30 (with an offset such as "
            "+01:00 or Z if it is not in the organization's time zone) or just the date, "
            "2026-11-02."
        ) from None
    outside = dates.problem(moment)
    if outside:
        raise ValueError(outside)
    if len(text) <= len("2026-11-02"):  # a date alone: every date-and-time form is longer
        moment = moment.replace(hour=12)
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment
