"""Celery tasks of the webhooks: thin wrappers around webhooks.services, safe to run twice."""

from celery import shared_task

from webhooks import services


@shared_task(bind=True, max_retries=None)
def send_delivery(self, delivery_id: int) -> bool:
    try:
        return services.send(delivery_id=delivery_id)
    except services.DeliveryFailed as error:
        # The row holds the next attempt's time; a short wait is also a countdown, a long one is left to beat, as
        # is every retry of a task run inline (CELERY_TASK_ALWAYS_EAGER: no broker to hold a countdown, and the
        # caller, a request that sent a test event, must not fail because the receiver did).
        if error.retry_in > services.LONGEST_COUNTDOWN_SECONDS or self.request.is_eager:
            return False
        raise self.retry(exc=error, countdown=error.retry_in) from error


@shared_task
def send_due_deliveries() -> int:
    """Beat's catch-up: send what a lost message, a killed worker or a long backoff left due."""
    return services.send_due()


@shared_task
def forget_old_deliveries() -> int:
    """Beat, daily: settled deliveries and their events past KEEL_WEBHOOKS_RETENTION_DAYS go (services.forget_old)."""
    deliveries, _events = services.forget_old()
    return deliveries
