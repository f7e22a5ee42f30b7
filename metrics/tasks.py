"""Celery tasks of metrics: thin wrappers around services, each safe to run twice or concurrently."""

from celery import shared_task

from metrics.services import awards, import_jobs, rollups, scorecard_exports


@shared_task
def run_rollups() -> int:
    """Roll up whatever readings were written since the last run (beat runs it too, to catch lost nudges)."""
    return rollups.run().buckets


@shared_task(time_limit=60 * 60, soft_time_limit=60 * 60 - 30)
def rebuild_rollups() -> int:
    return rollups.run(full=True).buckets


@shared_task(bind=True, max_retries=5)
def run_reading_import(self, job_id: int) -> bool:
    """Check or import a large waiting CSV file (metrics.services.import_jobs); a claimed job runs once."""
    try:
        return import_jobs.run(job_id=job_id)
    except import_jobs.Retry as error:
        raise self.retry(exc=error, countdown=min(30 * 2**self.request.retries, 600)) from error


@shared_task
def recover_reading_imports() -> int:
    """Beat's catch-up for import jobs whose message was lost or whose worker was killed."""
    return import_jobs.recover_stalled()


@shared_task
def tell_award_winners(award_ids: list[int] | None = None) -> int:
    """E-mail the people of newly confirmed awards; claimed per award, so running twice e-mails nobody twice."""
    return awards.tell_winners(award_ids=award_ids)


@shared_task(time_limit=15 * 60, soft_time_limit=15 * 60 - 30)
def build_scorecard_export(job_id: int) -> bool:
    """Write a large scorecard's workbook (metrics.services.scorecard_exports); a claimed job runs once."""
    return scorecard_exports.build(job_id=job_id)
