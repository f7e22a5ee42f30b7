"""Celery tasks of goals: thin wrappers around services, each safe to run twice or concurrently."""

from celery import shared_task

from goals.services import definitions


@shared_task
def send_acknowledgement_reminders() -> int:
    """Remind people of overdue acknowledgements (hourly from beat); claims make a second or concurrent run harmless."""
    return definitions.send_reminders()
