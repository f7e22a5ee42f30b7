"""Excel exports of large scorecards, built by a Celery worker while the person's page polls.

A scorecard of a few hundred rows is written in the request. The organization's (some 5,000 people) takes seconds:
the request records a ScorecardExport row and nudges a worker after commit; the worker claims the row with a
conditional UPDATE (a job runs once, however many messages arrive), writes the workbook into the row, and the page
offers the download. A lost message is sent again by the page itself while it polls a job still queued.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from core import best_effort
from metrics.models import ScorecardExport
from metrics.selectors import scorecards
from org.models import Department, User

log = logging.getLogger(__name__)

IN_REQUEST_ROWS = 1000  # up to this many rows the workbook is written while the person waits
RESEND_AFTER = timedelta(seconds=60)


def stale_after() -> timedelta:
    """How long a job may stay running: past Celery's hard time limit its worker was killed (or died) with it."""
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


def _claimable(now):
    """Queued jobs, and running ones whose worker died (killed, out of memory, a deploy) before it finished."""
    return Q(status=ScorecardExport.Status.QUEUED) | Q(
        status=ScorecardExport.Status.RUNNING, started_at__lt=now - stale_after()
    )


def needs_worker(*, department: Department, rows: str) -> bool:
    """Whether the department's matrix has more rows than a request writes (one count query for people rows)."""
    if rows != scorecards.PEOPLE:
        return False  # sub-departments: a few dozen rows at most
    below = Department.objects.subtree_of(department)
    return User.objects.filter(is_active=True, department__in=below).count() > IN_REQUEST_ROWS


def request_export(
    *, user: User, department: Department, period: str, start, rows: str, sort: str, name: str
) -> ScorecardExport:
    """Record an export to build and nudge a worker once the transaction commits."""
    from metrics.tasks import build_scorecard_export

    job = ScorecardExport.objects.create(
        user=user, department=department, period=period, start=start, rows=rows, sort=sort, name=name
    )
    best_effort.enqueue_on_commit(build_scorecard_export, job.pk)
    return job


def resend_if_stuck(job: ScorecardExport, *, now=None) -> bool:
    """Nudge a worker again for a job still queued RESEND_AFTER after it was asked for (its message was lost), or
    still running past stale_after() (its worker died with it)."""
    from metrics.tasks import build_scorecard_export

    now = now or timezone.now()
    lost = job.status == ScorecardExport.Status.QUEUED and job.created_at <= now - RESEND_AFTER
    dead = job.status == ScorecardExport.Status.RUNNING and job.started_at and job.started_at < now - stale_after()
    if not (lost or dead):
        return False
    return best_effort.enqueue(build_scorecard_export, job.pk)


def build(*, job_id: int) -> bool:
    """Claim a queued job (or a running one whose worker died) and write its workbook; False when another run
    claimed it (or it is gone, or done).

    A failure is kept on the row (status failed, the error for the admin) and logged; it is not raised again, so
    the page says so instead of waiting for ever.
    """
    now = timezone.now()
    claimed = ScorecardExport.objects.filter(_claimable(now), pk=job_id).update(
        status=ScorecardExport.Status.RUNNING, started_at=now
    )
    if not claimed:
        return False
    job = ScorecardExport.objects.select_related("department").get(pk=job_id)
    try:
        card = scorecards.load_scorecard(department=job.department, period=job.period, start=job.start).scorecard
        sort = job.sort if job.sort.removeprefix("-") in scorecards.sort_keys(card.columns) else "name"
        content = scorecards.xlsx_bytes(card, scorecards.sort_rows(card.rows(job.rows), card.columns, sort))
    except Exception as error:
        log.exception("scorecard export %s failed", job_id)
        ScorecardExport.objects.filter(pk=job_id).update(
            status=ScorecardExport.Status.FAILED, error=f"{type(error).__name__}: {error}", finished_at=timezone.now()
        )
        return True
    ScorecardExport.objects.filter(pk=job_id).update(
        status=ScorecardExport.Status.DONE, content=content, finished_at=timezone.now()
    )
    return True
