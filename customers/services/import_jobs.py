"""A large customers file is checked and imported by a worker, on the readings import's job machinery.

metrics.services.import_jobs runs every kind of waiting file: it claims a job by a conditional UPDATE, beats while
the worker works, retries on a lost database and lets beat catch up lost messages. This module is the customers
kind's runner (registered in CustomersConfig.ready) and the JSON form of its report that the page shows.
A file up to import_jobs.INLINE_BYTES is still checked and imported in the request (customers.views.customers).
"""

from types import SimpleNamespace

from core import uploads
from core.exceptions import RuleViolation
from customers.services import imports
from metrics.models import ReadingImport
from metrics.services import import_jobs
from org import access

UPLOAD_KIND = "customers"


def is_large(pending) -> bool:
    """Whether the waiting file is checked and imported by a worker rather than in the request."""
    return pending.size > import_jobs.INLINE_BYTES


def run(job: ReadingImport) -> tuple[dict, bool]:
    """Check or import the job's customers file for the department chosen at the upload (import_jobs.Runner).

    Raises RuleViolation when the person no longer manages that department: nothing is imported.
    """
    department = access.managed_departments(job.user).filter(pk=job.upload.data.get("department")).first()
    if department is None:
        raise RuleViolation("You no longer manage the department this file was for, so nothing was imported.")
    with uploads.open_upload(job.upload) as file:
        if job.action == ReadingImport.Action.CHECK:
            report = imports.check_import(file=file, department=department)
        else:
            report = imports.import_customers(file=file, department=department, valid_only=job.valid_only)
    return report_to_json(report), report.saved


def report_to_json(report: imports.ImportReport) -> dict:
    text = import_jobs.text_for_json

    def problems(items) -> list[dict]:
        return [{"line": p.line, "column": p.column, "message": text(p.message)} for p in items]

    return {
        "rows": report.rows,
        "created": report.created,
        "rejected_rows": report.rejected_rows,
        "problem_count": report.problem_count,
        "file_error": report.file_error and text(report.file_error),
        "saved": report.saved,
        "problems": problems(report.problems),
        "preview": [
            {
                "line": row.line,
                "values": {name: text(value) for name, value in row.values.items()},
                "problems": problems(row.problems),
            }
            for row in report.preview
        ],
    }


def report_from_json(data: dict) -> imports.ImportReport:
    def problems(items) -> list[imports.RowError]:
        return [imports.RowError(p["line"], p["column"], p["message"]) for p in items]

    return imports.ImportReport(
        rows=data["rows"],
        created=data["created"],
        rejected_rows=data["rejected_rows"],
        problem_count=data["problem_count"],
        file_error=data["file_error"],
        saved=data["saved"],
        problems=problems(data["problems"]),
        preview=[
            SimpleNamespace(line=row["line"], values=row["values"], problems=problems(row["problems"]))
            for row in data["preview"]
        ],
    )
