"""Checking and importing a waiting CSV file as a job: in the request for a small file, by Celery for a large one.

A million-row file takes about a minute to import (bench/import.py), longer than a web request may last, so
a file above INLINE_BYTES is handed to a worker and its page polls the job. Small files, the everyday case,
are still checked and imported at once, by the same code.

A job is claimed by a conditional UPDATE, so it runs once however many messages ask for it; the import and
the job's result are committed together, so a worker killed midway leaves nothing imported. While it works, the
worker beats on the job's row (heartbeat_at, from a thread with its own connection, outside the import's
transaction); a running job silent for STALE_AFTER lost its worker and is claimed again (by the message Celery
redelivers, or by beat's recover_stalled(), every minute).
A job that fails for good says so on its page: nothing is dropped silently.

The machinery serves every kind of waiting file (ReadingImport.kind, the upload's kind): readings here, and any app
that registers a runner for its kind (register(); customers does, in its AppConfig.ready). A runner checks or imports
the job's file inside the job's transaction and returns its report as JSON; one task and one beat catch-up serve all.
"""

import logging
import threading
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import SimpleNamespace

from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from core import best_effort, uploads
from core.exceptions import RuleViolation
from core.models import PendingUpload
from metrics.models import ReadingImport
from metrics.selectors import rollup_progress
from metrics.services import imports
from metrics.services.readings import RowError
from org.models import User

log = logging.getLogger(__name__)

INLINE_BYTES = 1024 * 1024  # about 20,000 rows: checked or imported within a second or two, in the request
HEARTBEAT_SECONDS = 20  # how often a running job says it is alive
STALE_AFTER = timedelta(seconds=90)  # a running job silent this long lost its worker
LOST_AFTER = timedelta(minutes=2)  # a queued job no worker took by then gets another message
MAX_ATTEMPTS = 3
KEPT_FOR = timedelta(days=7)  # finished jobs, for their pages
UPLOAD_KIND = "readings"
GONE = "The file is no longer waiting: it was imported, discarded, or replaced by newer uploads. Upload it again."

Status = ReadingImport.Status


Runner = Callable[[ReadingImport], tuple[dict, bool]]
"""Checks or imports the job's file (job.action, job.valid_only, job.upload) inside the job's transaction and returns
(the report as JSON, whether anything was saved). RuleViolation fails the job with its message; nothing is kept."""

RUNNERS: dict[str, Runner] = {}


def register(kind: str, runner: Runner) -> None:
    """Let jobs run on waiting files of this upload kind (an app's AppConfig.ready calls it)."""
    RUNNERS[kind] = runner


class Retry(Exception):
    """The database failed under the job; it is queued again and the task retries."""


class UploadGone(RuleViolation):
    """The person has no waiting file under this token: it was imported, discarded or has expired."""

    def __init__(self):
        super().__init__("No such upload: it was imported, discarded or has expired. Upload the file again.")


def start(*, user: User, upload: PendingUpload, action: str, valid_only: bool = False) -> ReadingImport:
    """Create a job for the file and run it now (small file) or once the transaction commits (large file)."""
    job = ReadingImport.objects.create(
        user=user,
        upload=upload,
        token=upload.token,
        name=upload.name,
        kind=upload.kind,
        action=action,
        valid_only=valid_only,
    )
    from metrics.tasks import run_reading_import

    if upload.size <= INLINE_BYTES:
        try:
            run(job_id=job.pk)
        except Retry:  # the database failed under it: a worker tries again
            best_effort.enqueue_on_commit(run_reading_import, job.pk)
        job.refresh_from_db()
    else:
        best_effort.enqueue_on_commit(run_reading_import, job.pk)
    return job


def _waiting_file(*, user: User, token: str, kind: str = UPLOAD_KIND) -> PendingUpload:
    """The user's waiting file, its row locked until the transaction ends; UploadGone when there is none."""
    pending = uploads.find(user=user, token=token, kind=kind, lock=True)
    if pending is None:
        raise UploadGone()
    return pending


@transaction.atomic
def confirm_import(*, user: User, token: str, valid_only: bool, kind: str = UPLOAD_KIND) -> tuple[ReadingImport, bool]:
    """Import the user's checked file (all rows, or only the valid ones), at most once however often it is confirmed.

    The file's row is locked first, so a double click (two requests at once) starts one import: the second finds
    the first job running. Returns (the latest job, whether this call started it): not started when a check or an
    import of the file is still running. Raises UploadGone when the file is not waiting any more.
    """
    pending = _waiting_file(user=user, token=token, kind=kind)
    job = latest(user=user, token=token, kind=kind)
    if job is not None and job.pending:
        return job, False
    return start(user=user, upload=pending, action=ReadingImport.Action.IMPORT, valid_only=valid_only), True


@transaction.atomic
def recheck_with_decimal(*, user: User, token: str, decimal: str) -> tuple[ReadingImport | None, bool]:
    """Check the user's waiting file again, read with `decimal` ("point" or "comma") as its decimal separator.

    Returns (the latest job, whether this call started a new check): not started while a check or an import of
    the file is still running. Raises UploadGone when the file is not waiting any more, and RuleViolation when
    `decimal` is not a separator a file may declare.
    """
    if decimal not in imports.DECIMALS:
        raise RuleViolation("Choose a point or a comma as the file's decimal separator.")
    pending = _waiting_file(user=user, token=token)
    job = latest(user=user, token=token)
    if job is not None and job.pending:
        return job, False
    pending.data = {**pending.data, "decimal": decimal, "decimal_detected": False}
    pending.save(update_fields=["data"])
    return start(user=user, upload=pending, action=ReadingImport.Action.CHECK), True


@transaction.atomic
def discard_upload(*, user: User, token: str, kind: str = UPLOAD_KIND) -> ReadingImport | None:
    """Forget the user's waiting file unless a job is checking or importing it.

    Returns that running job (and keeps the file), or None once the file is discarded. Raises UploadGone when
    the file is not waiting any more.
    """
    pending = _waiting_file(user=user, token=token, kind=kind)
    job = latest(user=user, token=token, kind=kind)
    if job is not None and job.pending:
        return job
    uploads.forget(pending)
    return None


def latest(*, user: User, token: str, kind: str = UPLOAD_KIND) -> ReadingImport | None:
    """The user's newest job on the file of this kind with this token (whether or not the file is still there)."""
    if not isinstance(token, str) or not uploads.TOKEN.fullmatch(token):
        return None
    return ReadingImport.objects.filter(user=user, token=token, kind=kind).order_by("-pk").first()


def rollup_pending(*, user: User, within: timedelta = timedelta(minutes=10)) -> datetime | None:
    """The mark (metrics.selectors.rollup_progress) of the user's latest import, finished within `within`, while
    the rollup has not caught up with it; None otherwise. Two queries at most."""
    job = (
        ReadingImport.objects.filter(
            user=user,
            action=ReadingImport.Action.IMPORT,
            status=Status.DONE,
            finished_at__gte=timezone.now() - within,
        )
        .order_by("-pk")
        .only("report")
        .first()
    )
    through = rollup_progress.parse_mark(job.report.get("queued_through")) if job else None
    return through if through is not None and not rollup_progress.caught_up(through) else None


def announce(job: ReadingImport) -> bool:
    """True the first time a finished job's outcome is shown (a page says "imported" once, not at every visit)."""
    return bool(ReadingImport.objects.filter(pk=job.pk, announced_at__isnull=True).update(announced_at=timezone.now()))


def _stalled(now: datetime) -> Q:
    """Running, and no sign of life (a heartbeat, or the start) for STALE_AFTER: its worker is gone."""
    return Q(status=Status.RUNNING, last_sign_of_life__lt=now - STALE_AFTER)


def _jobs():
    return ReadingImport.objects.alias(last_sign_of_life=Coalesce("heartbeat_at", "started_at"))


@contextmanager
def heartbeat(job_id: int, *, every: float = HEARTBEAT_SECONDS):
    """Mark the running job alive every `every` seconds while the block runs.

    The beats come from a thread with its own database connection, so they commit while the import's own
    transaction is still open; a failed beat is logged and the next one tried. On SQLite the import's
    transaction holds the only write lock, so beats wait for it; a job is then claimed again only after it has
    committed or its worker has died, since the claim needs that lock too.
    """
    stop = threading.Event()

    def beat():
        try:
            while not stop.wait(every):
                try:
                    ReadingImport.objects.filter(pk=job_id, status=Status.RUNNING).update(heartbeat_at=timezone.now())
                except DatabaseError as error:
                    log.info("reading import %s: heartbeat not recorded: %s", job_id, error)
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"import-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every + 30)


def run(*, job_id: int) -> bool:
    """Claim the job and run it; False when it is not there to run (done, or another worker has it)."""
    now = timezone.now()
    claimable = Q(status=Status.QUEUED) | _stalled(now)
    if (
        not _jobs()
        .filter(claimable, pk=job_id)
        .update(status=Status.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1)
    ):
        return False
    job = ReadingImport.objects.select_related("user", "upload").get(pk=job_id)
    if job.attempts > MAX_ATTEMPTS:
        _fail(
            job,
            f"It stopped {MAX_ATTEMPTS} times before finishing. Nothing was imported; try again later or "
            "split the file.",
        )
        return True
    if job.upload is None:
        _fail(job, GONE)
        return True
    runner = RUNNERS.get(job.kind)
    if runner is None:
        _fail(job, f"Files of this kind ({job.kind}) cannot be imported here. Nothing was imported.")
        return True
    try:
        with heartbeat(job.pk), transaction.atomic():
            job.report, saved = runner(job)
            job.status, job.finished_at = Status.DONE, timezone.now()
            job.save(update_fields=["report", "status", "finished_at"])
            if saved:
                uploads.forget(job.upload)
    except uploads.UploadGone:
        _fail(job, GONE)
    except RuleViolation as refused:  # the runner refused the job (e.g. its department is no longer the person's)
        _fail(job, refused.message)
    except (OperationalError, InterfaceError) as error:  # the database went away: worth another try
        log.warning("reading import %s: database error, queued again: %s", job.pk, error)
        ReadingImport.objects.filter(pk=job.pk, status=Status.RUNNING).update(status=Status.QUEUED)
        raise Retry(str(error)) from error
    except Exception:
        log.exception("reading import %s failed", job.pk)
        _fail(
            job,
            "Something went wrong on our side while reading the file, and nothing was imported. Try "
            "again; if it happens again, tell an admin (the error is in the server log).",
        )
    return True


def _run_readings(job: ReadingImport) -> tuple[dict, bool]:
    decimal = job.upload.data.get("decimal")  # chosen (or detected) at the upload; None: detect now
    with uploads.open_upload(job.upload) as file:
        if job.action == ReadingImport.Action.CHECK:
            report = imports.check_import(file=file, recorded_by=job.user, decimal=decimal)
        else:
            report = imports.import_readings(
                file=file, recorded_by=job.user, valid_only=job.valid_only, decimal=decimal
            )
    if decimal and job.upload.data.get("decimal_detected"):
        report.decimal_detected = True
    data = report_to_json(report)
    if report.saved:  # the moment the readings' rollup must catch up with (metrics.selectors.rollup_progress)
        data["queued_through"] = rollup_progress.mark().isoformat()
    return data, report.saved


register(UPLOAD_KIND, _run_readings)


def _fail(job: ReadingImport, message: str) -> None:
    ReadingImport.objects.filter(pk=job.pk).update(status=Status.FAILED, error=message, finished_at=timezone.now())


def recover_stalled() -> int:
    """Send another message for each job a lost message or a killed worker left behind, and remove finished
    jobs older than KEPT_FOR; returns how many were sent again."""
    from metrics.tasks import run_reading_import

    now = timezone.now()
    ReadingImport.objects.filter(status__in=[Status.DONE, Status.FAILED], created_at__lt=now - KEPT_FOR).delete()
    stalled = list(
        _jobs()
        .filter(Q(status=Status.QUEUED, created_at__lt=now - LOST_AFTER) | _stalled(now))
        .values_list("pk", flat=True)[:100]
    )
    for job_id in stalled:
        best_effort.enqueue(run_reading_import, job_id)
    return len(stalled)


# The report, kept as JSON for the page


def text_for_json(value: str) -> str:
    """A string PostgreSQL's JSON can store: a NUL (which the file may hold, and a message may quote) is shown
    as the replacement character."""
    return value.replace("\x00", "\ufffd")


def report_to_json(report: imports.ImportReport) -> dict:
    def problems(items) -> list[dict]:
        return [{"line": p.line, "field": p.field, "message": text_for_json(p.message)} for p in items]

    return {
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "rejected_rows": report.rejected_rows,
        "problem_count": report.problem_count,
        "file_error": report.file_error and text_for_json(report.file_error),
        "saved": report.saved,
        "decimal": report.decimal,
        "decimal_detected": report.decimal_detected,
        "delimiter": report.delimiter,
        "problems": problems(report.problems),
        "preview": [
            {
                "line": row.line,
                "values": {name: text_for_json(text) for name, text in row.values.items()},
                "problems": problems(row.problems),
                "measured_at": row.reading.measured_at.isoformat() if row.reading else None,
            }
            for row in report.preview
        ],
    }


def report_from_json(data: dict) -> imports.ImportReport:
    def problems(items) -> list[RowError]:
        return [RowError(p["line"], p["field"], p["message"]) for p in items]

    preview = [
        SimpleNamespace(
            line=row["line"],
            values=row["values"],
            problems=problems(row["problems"]),
            reading=SimpleNamespace(measured_at=datetime.fromisoformat(row["measured_at"]))
            if row["measured_at"]
            else None,
        )
        for row in data["preview"]
    ]
    return imports.ImportReport(
        rows=data["rows"],
        created=data["created"],
        updated=data["updated"],
        rejected_rows=data["rejected_rows"],
        problem_count=data["problem_count"],
        file_error=data["file_error"],
        saved=data["saved"],
        decimal=data.get("decimal", imports.POINT),
        decimal_detected=data.get("decimal_detected", False),
        delimiter=data.get("delimiter", ","),
        problems=problems(data["problems"]),
        preview=preview,
    )
