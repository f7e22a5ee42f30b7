"""Outgoing webhooks: emitting events, managing subscriptions, and sending deliveries once (claim, send, record).

Higher apps (metrics, goals, customers) call emit() inside the transaction of the action the event reports: the
event and one delivery row per subscription are written with it, and a worker is nudged after it commits. The
database is the queue of truth: send_due() (beat, every minute) sends whatever a lost nudge or a retry left.
"""

import logging
import time
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core import best_effort
from core.exceptions import RuleViolation
from org import access
from org.models import Department, User
from org.paths import path_within
from webhooks import payloads, signatures, targets, transport
from webhooks.events import Event
from webhooks.models import Delivery, Subscription, WebhookEvent

log = logging.getLogger(__name__)

# How long a worker holds a delivery while sending: the transport's timeouts, with room to record the outcome.
CLAIM_SECONDS = 60
# Backoff after the n-th failed attempt: 30 s, 2 min, 8 min, 32 min, ~2 h, then every 6 h.
FIRST_DELAY_SECONDS = 30
DELAY_FACTOR = 4
LONGEST_DELAY_SECONDS = 6 * 3600
# A retry further away than this is left to beat rather than a broker countdown (longer than the visibility
# timeout, a countdown would be redelivered early by Redis; ARCHITECTURE.md).
LONGEST_COUNTDOWN_SECONDS = 3600
# One beat run sends for at most this long, so runs do not pile up behind slow receivers.
SEND_DUE_BUDGET_SECONDS = 45
USER_AGENT = "Keel-Webhooks/1.0"


class DeliveryFailed(Exception):
    """This attempt failed and another is scheduled `retry_in` seconds from now."""

    def __init__(self, message: str, *, retry_in: int):
        super().__init__(message)
        self.retry_in = retry_in


# --- emitting -----------------------------------------------------------------------------------------------------


def emit(
    *,
    event: str,
    departments: Iterable[Department],
    payload: dict,
    summary: str,
    url: str = "",
    key: str | None = None,
) -> int:
    """Record an event for every active subscription that wants it, and send them after the transaction commits.

    event: one of webhooks.events.Event (e.g. "campaign.closed").
    departments: the departments the event concerns; a subscription receives it when its department is one of
        them or above one of them.
    payload: JSON-serializable data (dates and Decimals allowed), sent as "data" in the standard format. Callers
        put nothing in it that the anonymity rules keep from the pages.
    summary: one sentence a person reads in Slack or Teams, e.g. "Campaign “Spring” of Support closed."
    url: a path in Keel ("/customers/campaigns/3/"), made absolute with KEEL_SITE_URL.
    key: when given, an event with this key is emitted once, however often emit() is called with it.

    Returns how many deliveries were queued (0 when no subscription wants it). Never raises for a storage
    problem: the event is logged and lost, and the caller's action goes on (within a savepoint, so its
    transaction stays usable).
    """
    if event not in Event.values:
        raise ValueError(f"Unknown webhook event {event!r}")
    paths = [department.path for department in departments if department is not None]
    try:
        with transaction.atomic():
            wanting = [
                subscription
                for subscription in Subscription.objects.active().select_related("department")
                if event in subscription.events
                and any(path_within(path, subscription.department.path) for path in paths)
            ]
            if not wanting:
                return 0
            fields = {"type": event, "payload": payload, "summary": summary[:500], "url": absolute(url)}
            if key:
                record, created = WebhookEvent.objects.get_or_create(key=key, defaults=fields)
                if not created:
                    return 0
            else:
                record = WebhookEvent.objects.create(**fields)
            return _queue(record, wanting)
    except Exception:  # an event lost is logged; the action that caused it must not fail because of it
        log.exception("webhook event %s could not be recorded", event)
        return 0


def is_wanted(*, event: str) -> bool:
    """Does any active subscription want this event? One small query: callers that must work to build an event
    (compare a batch of readings with targets) ask first."""
    return any(event in events for events in Subscription.objects.active().values_list("events", flat=True))


def absolute(url: str) -> str:
    return f"{settings.KEEL_SITE_URL}{url}" if url.startswith("/") else url


def _queue(record: WebhookEvent, subscriptions: list[Subscription]) -> int:
    from webhooks.tasks import send_delivery

    deliveries = Delivery.objects.bulk_create(
        [Delivery(event=record, subscription=subscription) for subscription in subscriptions]
    )
    for delivery in deliveries:
        best_effort.enqueue_on_commit(send_delivery, delivery.pk)
    return len(deliveries)


# --- subscriptions ------------------------------------------------------------------------------------------------


def visible_subscriptions(user: User):
    """Subscriptions the person may see and change: an admin all, a manager those of the departments they manage
    (and below them), an employee none."""
    if not access.manages_any(user):
        return Subscription.objects.none()
    return Subscription.objects.filter(department__in=access.managed_departments(user))


def _check(
    *, by: User, department: Department, url: str, events: list[str], allow_private_targets: bool, granted=False
) -> list[str]:
    if not access.can_manage(by, department):
        raise RuleViolation(
            _("You may subscribe only departments you manage; %(department)s is not one of them.")
            % {"department": department},
            field="department",
        )
    if allow_private_targets and not (access.is_admin(by) or granted):
        raise RuleViolation(_("Only admins may allow private targets."), field="allow_private_targets")
    unknown = [name for name in events if name not in dict(Event.choices) or name == Event.TEST]
    if unknown or not events:
        raise RuleViolation(_("Choose at least one event to send."), field="events")
    try:
        targets.check(url, allow_private=allow_private_targets)
    except targets.TargetRefused as refused:
        raise RuleViolation(refused.message, field="url") from None
    return [name for name in Event.values if name in events]  # in the list's order, once each


@transaction.atomic
def create_subscription(
    *,
    by: User,
    name: str,
    url: str,
    department: Department,
    events: list[str],
    format: str = Subscription.Format.STANDARD,
    is_active: bool = True,
    allow_private_targets: bool = False,
) -> Subscription:
    """Subscribe a URL to events of a department (and below) with a new secret.

    Raises RuleViolation when `by` does not manage the department, a non-admin allows private targets, no event
    is chosen, or the URL is not an http(s) address resolving to public addresses (unless private ones are
    allowed).
    """
    events = _check(by=by, department=department, url=url, events=events, allow_private_targets=allow_private_targets)
    return Subscription.objects.create(
        name=name.strip(),
        url=url.strip(),
        department=department,
        events=events,
        format=format,
        is_active=is_active,
        allow_private_targets=allow_private_targets,
        secret=signatures.new_secret(),
        created_by=by,
    )


@transaction.atomic
def update_subscription(
    *,
    subscription: Subscription,
    by: User,
    name: str,
    url: str,
    department: Department,
    events: list[str],
    format: str,
    is_active: bool,
    allow_private_targets: bool | None = None,
) -> Subscription:
    """Change a subscription; the same checks as create_subscription(). A manager's save keeps the admin's
    allow_private_targets as it was (pass None). Pausing it stops its deliveries still waiting."""
    if not access.can_manage(by, subscription.department):
        raise RuleViolation(_("You may change only subscriptions of departments you manage."))
    if allow_private_targets is None or not access.is_admin(by):
        # Only admins set the flag; it was granted for one URL, so a manager who changes the URL loses it.
        allow_private_targets = subscription.allow_private_targets and (
            access.is_admin(by) or url.strip() == subscription.url
        )
    events = _check(
        by=by,
        department=department,
        url=url,
        events=events,
        allow_private_targets=allow_private_targets,
        granted=allow_private_targets and subscription.allow_private_targets,
    )
    subscription.name, subscription.url, subscription.department = name.strip(), url.strip(), department
    subscription.events, subscription.format, subscription.is_active = events, format, is_active
    subscription.allow_private_targets = allow_private_targets
    subscription.save()
    if not is_active:
        cancel_pending(subscription=subscription, reason=_("Not sent: the subscription was paused."))
    return subscription


def cancel_pending(*, subscription: Subscription, reason: str) -> int:
    """Mark the subscription's deliveries still waiting as failed, with the reason; returns how many."""
    return (
        Delivery.objects.pending()
        .filter(subscription=subscription)
        .update(failed_at=timezone.now(), claimed_until=None, last_error=reason[:500])
    )


def delete_subscription(*, subscription: Subscription, by: User) -> None:
    """Delete a subscription and its delivery history."""
    if not access.can_manage(by, subscription.department):
        raise RuleViolation(_("You may delete only subscriptions of departments you manage."))
    subscription.delete()


def rotate_secret(*, subscription: Subscription, by: User) -> Subscription:
    """Give the subscription a new secret; deliveries from now on are signed with it."""
    if not access.can_manage(by, subscription.department):
        raise RuleViolation(_("You may change only subscriptions of departments you manage."))
    subscription.secret = signatures.new_secret()
    subscription.save(update_fields=["secret", "updated_at"])
    return subscription


@transaction.atomic
def send_test_event(*, subscription: Subscription, by: User) -> Delivery:
    """Queue a "webhook.test" event for this one subscription (even a paused one), sent like any other."""
    if not access.can_manage(by, subscription.department):
        raise RuleViolation(_("You may test only subscriptions of departments you manage."))
    record = WebhookEvent.objects.create(
        type=Event.TEST,
        payload={"subscription": {"id": subscription.pk, "name": subscription.name}, "sent_by": by.display_name},
        summary=_("Test event from Keel for “%(name)s”, sent by %(person)s.")
        % {"name": subscription.name, "person": by.display_name},
        url=absolute(subscription.get_absolute_url()),
    )
    _queue(record, [subscription])
    return Delivery.objects.get(event=record, subscription=subscription)


# --- sending ------------------------------------------------------------------------------------------------------


def retry_delay(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed attempt (1, 2, ...): 30 s, then four times longer each
    time, at most 6 hours."""
    return min(FIRST_DELAY_SECONDS * DELAY_FACTOR ** max(attempts - 1, 0), LONGEST_DELAY_SECONDS)


def claim(*, delivery_id: int, now=None) -> Delivery | None:
    """Take the delivery for this worker with a conditional UPDATE; None when it is delivered, failed, not due yet
    or held by another worker."""
    now = now or timezone.now()
    taken = (
        Delivery.objects.due(now)
        .filter(pk=delivery_id)
        .update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS), attempts=F("attempts") + 1, last_attempt_at=now)
    )
    if not taken:
        return None
    return Delivery.objects.select_related("event", "subscription").get(pk=delivery_id)


def _attempt(delivery: Delivery) -> transport.Answer:
    subscription, event = delivery.subscription, delivery.event
    target = targets.check(subscription.url, allow_private=subscription.allow_private_targets)
    body = payloads.body(event, format=subscription.format)
    headers = signatures.headers(
        secret=subscription.secret, message_id=event.message_id, timestamp=int(time.time()), body=body
    )
    headers.update({"Content-Type": "application/json", "User-Agent": USER_AGENT})
    return transport.post(target, body=body, headers=headers)


def send_claimed(*, delivery: Delivery) -> None:
    """Post a claimed delivery and record the outcome on its row.

    A 2xx answer delivers it. Anything else (another status, a refused or unreachable target, a timeout) is
    recorded and raises DeliveryFailed with the delay before the next attempt; after WEBHOOKS_MAX_ATTEMPTS the
    delivery is marked failed and nothing is raised. A paused subscription's delivery fails at once (test events
    excepted).
    """
    now = timezone.now()
    if not delivery.subscription.is_active and delivery.event.type != Event.TEST:
        cancel_pending(subscription=delivery.subscription, reason=_("Not sent: the subscription was paused."))
        return
    status, excerpt, error = None, "", ""
    try:
        answer = _attempt(delivery)
        status, excerpt = answer.status, answer.excerpt
    except targets.TargetRefused as refused:
        error = _("Refused: %(reason)s") % {"reason": refused.message}
    except Exception as failure:  # timeouts, refused connections, TLS and protocol errors are all recorded
        error = f"{type(failure).__name__}: {failure}"
    record = {
        "claimed_until": None,
        "last_status_code": status,
        "last_response": excerpt[: transport.EXCERPT_LENGTH],
        "last_error": error[:500],
    }
    if status is not None and 200 <= status < 300:
        Delivery.objects.filter(pk=delivery.pk).update(delivered_at=now, **record)
        return
    if not error:
        record["last_error"] = _("The receiver answered %(status)s; only a 2xx status counts as delivered.") % {
            "status": status
        }
    gave_up = delivery.attempts >= settings.WEBHOOKS_MAX_ATTEMPTS
    delay = retry_delay(delivery.attempts)
    if gave_up:
        record["failed_at"] = now
    else:
        record["next_attempt_at"] = now + timedelta(seconds=delay)
    Delivery.objects.filter(pk=delivery.pk).update(**record)
    log.info("webhook delivery %s attempt %s failed: %s", delivery.pk, delivery.attempts, record["last_error"])
    if not gave_up:
        raise DeliveryFailed(record["last_error"], retry_in=delay)


def send(*, delivery_id: int) -> bool:
    """Claim and send one delivery; False when there was nothing to do. Raises DeliveryFailed as send_claimed."""
    delivery = claim(delivery_id=delivery_id)
    if delivery is None:
        return False
    send_claimed(delivery=delivery)
    return True


def due_ids(*, limit: int = 200) -> list[int]:
    """Deliveries due now (new ones a lost nudge left, retries whose time came, expired claims), oldest first."""
    return list(Delivery.objects.due().order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])


def send_due(*, budget_seconds: float = SEND_DUE_BUDGET_SECONDS) -> int:
    """Send what due_ids() finds, one claim each, for at most budget_seconds; a failure is recorded on its row and
    tried again later. Returns how many were settled (delivered, or given up after the last attempt)."""
    started = time.monotonic()
    delivered = 0
    for delivery_id in due_ids():
        if time.monotonic() - started > budget_seconds:
            break
        try:
            delivered += send(delivery_id=delivery_id)
        except DeliveryFailed:
            continue
    return delivered


FORGET_BATCH = 5_000  # rows deleted per statement: no long lock on a busy table


def forget_old(*, now=None, days: int | None = None) -> tuple[int, int]:
    """Delete settled deliveries (delivered or given up) older than `days` (KEEL_WEBHOOKS_RETENTION_DAYS,
    default 90) and the events they leave without any delivery; a pending delivery and its event are always kept,
    and so is an event with a key (what stops it being announced twice). In batches of FORGET_BATCH rows, each
    its own transaction, so a killed run loses nothing and the next one goes on. Returns (deliveries, events)."""
    now = now or timezone.now()
    before = now - timedelta(days=settings.WEBHOOKS_RETENTION_DAYS if days is None else days)
    settled = Delivery.objects.exclude(delivered_at__isnull=True, failed_at__isnull=True).filter(created_at__lt=before)
    deliveries = _delete_in_batches(settled)
    orphans = WebhookEvent.objects.filter(created_at__lt=before, key__isnull=True, deliveries__isnull=True)
    return deliveries, _delete_in_batches(orphans)


def _delete_in_batches(queryset) -> int:
    gone = 0
    while ids := list(queryset.order_by("pk").values_list("pk", flat=True)[:FORGET_BATCH]):
        with transaction.atomic():
            gone += queryset.model.objects.filter(pk__in=ids).delete()[1].get(queryset.model._meta.label, 0)
    return gone
