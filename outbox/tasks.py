"""Celery tasks of the outbox: thin wrappers around outbox.services, safe to run twice."""

from celery import shared_task

from outbox import services


@shared_task(bind=True, max_retries=None)
def send_email(self, email_id: int) -> bool:
    try:
        return services.send(email_id=email_id)
    except services.SendFailed as error:
        # Backoff 30 s, 60 s, 120 s ... capped at 30 min; the attempt count in the row decides when to stop.
        raise self.retry(exc=error, countdown=min(30 * 2**self.request.retries, 1800)) from error


@shared_task
def send_pending_emails() -> int:
    """Beat's catch-up: send whatever a lost message or a killed worker left pending."""
    return services.send_pending()
