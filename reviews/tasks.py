"""Celery beat tasks of review sessions: thin wrappers around reviews.services.sessions, each safe to run twice."""

from celery import shared_task

from reviews.services import sessions as scheduling


@shared_task
def send_invitations_and_reminders() -> dict:
    """Invitations not sent yet and reminders due (every 15 minutes from beat); claims make repeats harmless."""
    sent = scheduling.send_due_emails()
    return {"invitations": sent.invitations, "reminders": sent.reminders}


@shared_task
def extend_series() -> int:
    """Make recurring series' occurrences up to the horizon (every 6 hours from beat); unique occurrences make
    repeats harmless."""
    return scheduling.extend_all_series()
