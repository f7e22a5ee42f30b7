"""Celery beat tasks of reviews: thin wrappers around reviews.services (sessions, training), each safe to run twice."""

from celery import shared_task

from reviews.services import sessions as scheduling
from reviews.services import training


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


@shared_task
def invite_due_people() -> int:
    """Every 6 hours from beat: due and overdue people get an invitation to the next session on the definition;
    an invitation already there is kept, so a repeat invites nobody twice."""
    return training.invite_due()
