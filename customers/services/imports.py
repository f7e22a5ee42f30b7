"""CSV import of external customers into one department's list: checked row by row, all or nothing by default.

    name,email,segment,products
    Harbour Books,orders@harbourbooks.example,retail,"delivery, returns"

- Column names are case-insensitive and in any order; name and email are required, segment and products optional.
- segment must be a known segment: one of services.DEFAULT_SEGMENTS or one the department's customers already
  use (so a typo such as "retial" does not start a segment of its own). Add a new segment by hand first.
- An e-mail address may appear once in the file and must not already be in the department's list.

Like metrics.services.imports, the file is streamed through csv.reader, every row is checked (two queries for the whole
file), and the valid rows are written with one bulk_create per batch inside one transaction; with problems and
without valid_only nothing is written and the report lists every problem.
"""

import csv
import io
from dataclasses import dataclass, field
from itertools import islice
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from core import uploads
from core.import_reports import ImportReport as BaseImportReport
from core.models import PendingUpload
from customers.models import Customer
from customers.services.campaigns import known_segments
from metrics.services.imports import ImportFileError
from org.models import Department

COLUMNS = ("name", "email", "segment", "products")
REQUIRED = ("name", "email")
MAX_ROWS = 100_000
MAX_BYTES = 20 * 1024 * 1024
BATCH = 2_000
LIMITS = {"name": 200, "segment": 60, "products": 300}
TEMPLATE = (
    "name,email,segment,products\r\n"
    'Harbour Books,orders@harbourbooks.example,retail,"delivery, returns"\r\n'
    "City of Lakeside,procurement@lakeside.example,public sector,service desk\r\n"
)


@dataclass
class RowError:
    line: int
    column: str
    message: str


@dataclass
class ParsedRow:
    line: int
    values: dict[str, str]
    problems: list[RowError] = field(default_factory=list)


class ImportReport(BaseImportReport):
    def summary(self, name: str = "the file") -> str:
        if self.file_error:
            return f"Nothing imported from {name}: {self.file_error}"
        if not self.saved:
            return (
                f"Nothing imported from {name}: {self.rejected_rows:,} of {self.rows:,} rows have problems "
                f"({self.problem_count:,} in all). Fix them, or import the valid rows only."
            )
        return (
            f"Imported {self.created:,} customer{'' if self.created == 1 else 's'} from {name}; "
            f"{self.rejected_rows:,} rows skipped."
        )


class _NothingSaved(Exception):
    def __init__(self, report: ImportReport):
        super().__init__("rolled back")
        self.report = report


def check_import(*, file: BinaryIO, department: Department) -> ImportReport:
    """Check every row of the file for the department, writing nothing."""
    try:
        return _run(file=file, department=department, write=False)
    except ImportFileError as error:
        return ImportReport(file_error=error.message)


def import_customers(*, file: BinaryIO, department: Department, valid_only: bool = False) -> ImportReport:
    """Add the file's customers to the department's list in one transaction.

    All or nothing by default: if any row has a problem nothing is saved and the report lists the problems.
    valid_only=True keeps the rows without problems. The caller checks that the person manages the department.
    """
    try:
        with transaction.atomic():
            report = _run(file=file, department=department, write=True)
            if not valid_only and not report.ok:
                raise _NothingSaved(report)
    except ImportFileError as error:
        return ImportReport(file_error=error.message)
    except _NothingSaved as rolled_back:
        rolled_back.report.created = 0
        return rolled_back.report
    report.saved = True
    return report


def import_pending(*, pending: PendingUpload, department: Department, valid_only: bool = False) -> ImportReport | None:
    """Import a waiting file once, however many confirmations arrive together (a double click sends several):
    the upload's row is locked while its customers are written and removed once they are saved, as the readings
    import does, so a later confirmation finds it gone. None when it is gone: imported or discarded already.
    The caller checks that the person manages the department."""
    with transaction.atomic():
        locked = uploads.find(user=pending.user, token=pending.token, kind=pending.kind, lock=True)
        if locked is None:
            return None
        with uploads.open_upload(locked) as file:
            report = import_customers(file=file, department=department, valid_only=valid_only)
        if report.saved:
            uploads.forget(locked)
    return report


def _run(*, file: BinaryIO, department: Department, write: bool) -> ImportReport:
    report = ImportReport()
    segments = set(known_segments(department=department))
    existing = {
        e.lower()
        for e in Customer.objects.filter(department=department).exclude(email="").values_list("email", flat=True)
    }
    seen: dict[str, int] = {}
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    try:
        records = _records(text)
        columns = _columns(next(records, None))
        while batch := list(islice(records, BATCH)):
            if report.rows + len(batch) > MAX_ROWS:
                raise ImportFileError(f"The file has more than {MAX_ROWS:,} customers; split it into smaller files.")
            new = []
            for line, fields in batch:
                row = _check_row(line, fields, columns=columns, segments=segments, existing=existing, seen=seen)
                report.add(row)
                if not row.problems:
                    v = row.values
                    new.append(
                        Customer(
                            department=department,
                            kind=Customer.Kind.EXTERNAL,
                            name=v["name"],
                            email=v["email"],
                            segment=v.get("segment", "").lower(),
                            products=v.get("products", ""),
                        )
                    )
            if write and new:
                report.created += len(Customer.objects.bulk_create(new))
        if not report.rows:
            raise ImportFileError("The file has a header but no customers below it.")
    finally:
        text.detach()
    return report


def _records(text):
    reader = csv.reader(text)
    try:
        for fields in reader:
            if any(f.strip() for f in fields):
                yield reader.line_num, fields
    except UnicodeDecodeError:
        raise ImportFileError("The file is not UTF-8 text: save it from your spreadsheet as “CSV UTF-8”.") from None
    except csv.Error as error:
        raise ImportFileError(f"Line {reader.line_num} cannot be read as CSV ({error}).") from None


def _columns(header) -> dict[str, int]:
    if header is None:
        raise ImportFileError(f"The file is empty. Its first line must name the columns: {','.join(COLUMNS)}.")
    names = [n.strip().lower() for n in header[1]]
    unknown = [n or "(no name)" for n in names if n not in COLUMNS]
    missing = [n for n in REQUIRED if n not in names]
    twice = sorted({n for n in names if names.count(n) > 1})
    problems = (
        ([f"unknown column(s) {', '.join(unknown)}"] if unknown else [])
        + ([f"missing column(s) {', '.join(missing)}"] if missing else [])
        + ([f"column(s) {', '.join(twice)} more than once"] if twice else [])
    )
    if problems:
        raise ImportFileError(
            f"The first line must name the columns: {'; '.join(problems)}. The columns are "
            f"{', '.join(COLUMNS)} (name and email are required)."
        )
    return {name: position for position, name in enumerate(names)}


def _check_row(line, fields, *, columns, segments, existing, seen) -> ParsedRow:
    values = {name: (fields[pos].strip() if pos < len(fields) else "") for name, pos in columns.items()}
    row = ParsedRow(line, values)

    def fail(column, message):
        row.problems.append(RowError(line, column, message))

    if len(fields) > len(columns):
        fail(
            "file",
            f"This line has {len(fields)} values but the header names {len(columns)} columns. Put values "
            "containing commas in double quotes.",
        )
        return row
    for column, value in values.items():
        if "\x00" in value:  # PostgreSQL cannot store it in text
            fail(column, f"The {column} contains a NUL character, which is not text. Remove it.")
    if not values["name"]:
        fail("name", "Give the customer's name.")
    for column, limit in LIMITS.items():
        if len(values.get(column, "")) > limit:
            fail(column, f"The {column} has {len(values[column])} characters; shorten it to {limit}.")
    email = values["email"]
    try:
        validate_email(email)
    except ValidationError:
        fail(
            "email",
            f"“{email}” is not an e-mail address, e.g. jo@example.com."
            if email
            else "Give the customer's e-mail address.",
        )
    else:
        key = email.lower()
        if key in existing:
            fail("email", f"{email} is already in the customer list.")
        elif key in seen:
            fail("email", f"{email} is also on line {seen[key]}; keep one of them.")
        else:
            seen[key] = line
    segment = values.get("segment", "").lower()
    if segment and segment not in segments:
        fail(
            "segment",
            f"“{values['segment']}” is not a known segment. Use one of: {', '.join(sorted(segments))} "
            "(or add a customer in the new segment by hand first).",
        )
    return row
