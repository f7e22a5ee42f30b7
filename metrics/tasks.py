"""Celery tasks of metrics: thin wrappers around services, each safe to run twice or concurrently."""

from celery import shared_task

from . import rollups


@shared_task
def run_rollups() -> int:
    """Roll up whatever readings were written since the last run (beat runs it too, to catch lost nudges)."""
    return rollups.run().buckets


@shared_task(time_limit=60 * 60, soft_time_limit=60 * 60 - 30)
def rebuild_rollups() -> int:
    return rollups.run(full=True).buckets
