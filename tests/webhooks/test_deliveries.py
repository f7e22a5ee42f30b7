"""Deliveries go through the database like the e-mail outbox: once per event and subscription, claimed before
they are sent, retried with backoff after a failed answer, given up after the last attempt."""

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from unittest import mock

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.webhooks.conftest import DNS
from tests.webhooks.factories import SubscriptionFactory
from webhooks import services, tasks
from webhooks.events import Event
from webhooks.models import Delivery, WebhookEvent


def emit(org, *, key=None, event=Event.CAMPAIGN_CLOSED):
    return services.emit(
        event=event,
        departments=[org.front_line],
        payload={"campaign": {"id": 7, "title": "Spring"}},
        summary="Campaign “Spring” of Front Line closed.",
        url="/customers/campaigns/7/",
        key=key,
    )


def local(org, receiver, **kwargs):
    return SubscriptionFactory(department=org.support, url=receiver.url, allow_private_targets=True, **kwargs)


def only_delivery() -> Delivery:
    [delivery] = Delivery.objects.select_related("event", "subscription")
    return delivery


def test_it_posts_a_signed_standard_webhook_to_the_receiver(
    org, receiver, settings, django_capture_on_commit_callbacks
):
    subscription = local(org, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        assert emit(org) == 1
    [request] = receiver.requests
    headers = {name.lower(): value for name, value in request["headers"].items()}
    delivery = only_delivery()
    assert headers["webhook-id"] == delivery.event.message_id
    assert headers["content-type"] == "application/json"
    assert request["path"] == "/hook?source=keel"
    # Verified as a receiver would, with the secret it was given and nothing of Keel's code.
    key = base64.b64decode(subscription.secret.removeprefix("whsec_"))
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + request["body"]
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{expected}"
    body = json.loads(request["body"])
    assert body["type"] == "campaign.closed"
    assert body["data"]["campaign"] == {"id": 7, "title": "Spring"}
    assert body["data"]["url"] == f"{settings.KEEL_SITE_URL}/customers/campaigns/7/"
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.last_response == '{"ok": true}'


def test_nothing_leaves_before_the_transaction_commits(org, receiver, django_capture_on_commit_callbacks):
    local(org, receiver)
    with django_capture_on_commit_callbacks(execute=False):
        emit(org)
    assert receiver.requests == []
    assert only_delivery().status == "queued"


def test_the_task_run_twice_delivers_once(org, receiver):
    local(org, receiver)
    with transaction.atomic():  # no on-commit nudge: the test runs the task itself, twice
        emit(org)
    delivery = only_delivery()
    assert tasks.send_delivery.run(delivery.pk) is True
    assert tasks.send_delivery.run(delivery.pk) is False
    assert tasks.send_due_deliveries.run() == 0
    assert len(receiver.requests) == 1


def test_one_event_has_one_delivery_per_subscription(org, outside, django_capture_on_commit_callbacks):
    first, second = SubscriptionFactory(department=org.acme), SubscriptionFactory(department=org.support)
    with django_capture_on_commit_callbacks(execute=True):
        assert emit(org) == 2
    assert sorted(Delivery.objects.values_list("subscription_id", flat=True)) == sorted([first.pk, second.pk])
    assert len(outside.posts) == 2
    event = WebhookEvent.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(event=event, subscription=first)


def test_an_event_with_a_key_is_emitted_once(org, outside, django_capture_on_commit_callbacks):
    SubscriptionFactory(department=org.support)
    with django_capture_on_commit_callbacks(execute=True):
        assert emit(org, key="campaign.closed:7") == 1
        assert emit(org, key="campaign.closed:7") == 0
    assert Delivery.objects.count() == 1
    assert len(outside.posts) == 1


def test_a_500_is_retried_with_backoff_then_delivered(org, receiver, _controlled_clock):
    receiver.statuses = [500, 200]
    receiver.body = b"database is down " * 200
    local(org, receiver)
    with transaction.atomic():
        emit(org)
    delivery = only_delivery()
    with pytest.raises(services.DeliveryFailed) as failed:
        services.send(delivery_id=delivery.pk)
    assert failed.value.retry_in == 30
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("retrying", 1, 500)
    assert len(delivery.last_response) == 1000  # an excerpt, however long the answer
    assert "only a 2xx status counts" in delivery.last_error
    assert 30 <= (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds() < 31
    assert services.send(delivery_id=delivery.pk) is False  # not due yet
    assert services.due_ids() == []

    _controlled_clock.shift(31)
    assert services.due_ids() == [delivery.pk]
    assert tasks.send_due_deliveries.run() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        "delivered",
        2,
        200,
        "",
    )
    assert len(receiver.requests) == 2
    assert receiver.requests[0]["headers"]["webhook-id"] == receiver.requests[1]["headers"]["webhook-id"]


def test_the_backoff_grows_four_times_up_to_six_hours():
    assert [services.retry_delay(n) for n in range(1, 8)] == [30, 120, 480, 1920, 7680, 21600, 21600]


def test_the_task_schedules_a_short_retry_and_leaves_a_long_one_to_beat(org, receiver):
    receiver.statuses = [503]
    local(org, receiver)
    with transaction.atomic():
        emit(org)
    delivery = only_delivery()
    with mock.patch.object(tasks.send_delivery, "retry", side_effect=RuntimeError("retry scheduled")) as retry:
        with pytest.raises(RuntimeError):
            tasks.send_delivery.run(delivery.pk)
        assert retry.call_args.kwargs["countdown"] == 30
        Delivery.objects.filter(pk=delivery.pk).update(attempts=4, next_attempt_at=timezone.now())
        assert tasks.send_delivery.run(delivery.pk) is False  # 2 h 8 min away: beat sends it when it is due
        assert retry.call_count == 1


def test_it_gives_up_after_the_last_attempt(org, receiver, settings):
    settings.WEBHOOKS_MAX_ATTEMPTS = 2
    receiver.statuses = [500]
    local(org, receiver)
    with transaction.atomic():
        emit(org)
    delivery = only_delivery()
    with pytest.raises(services.DeliveryFailed):
        services.send(delivery_id=delivery.pk)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert services.send(delivery_id=delivery.pk) is True  # the last attempt marks it failed instead of raising
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert services.due_ids() == []


def test_a_redirect_is_not_followed(org, receiver):
    receiver.statuses = [302]
    receiver.location = "http://169.254.169.254/latest/meta-data"
    local(org, receiver)
    with transaction.atomic():
        emit(org)
    with pytest.raises(services.DeliveryFailed):
        services.send(delivery_id=only_delivery().pk)
    assert len(receiver.requests) == 1
    assert only_delivery().last_status_code == 302


def test_a_receiver_that_is_down_is_recorded_and_retried(org, receiver):
    local(org, receiver)
    receiver.server.shutdown()
    receiver.server.server_close()
    with transaction.atomic():
        emit(org)
    with pytest.raises(services.DeliveryFailed):
        services.send(delivery_id=only_delivery().pk)
    delivery = only_delivery()
    assert delivery.status == "retrying" and delivery.last_status_code is None
    assert "ConnectionRefusedError" in delivery.last_error


def test_a_name_that_now_resolves_to_loopback_is_refused_at_send_time(org, outside, monkeypatch):
    SubscriptionFactory(department=org.support, url="https://hooks.example.com/keel")
    with transaction.atomic():
        emit(org)
    monkeypatch.setitem(DNS, "hooks.example.com", ["127.0.0.1"])
    with pytest.raises(services.DeliveryFailed):
        services.send(delivery_id=only_delivery().pk)
    assert outside.posts == []
    assert "Refused: hooks.example.com points to 127.0.0.1" in only_delivery().last_error


def test_a_claim_left_by_a_killed_worker_expires_and_the_catch_up_sends_it(org, receiver):
    local(org, receiver)
    with transaction.atomic():
        emit(org)
    delivery = only_delivery()
    assert services.claim(delivery_id=delivery.pk) is not None  # the worker dies here
    assert services.claim(delivery_id=delivery.pk) is None
    assert services.due_ids() == []
    Delivery.objects.filter(pk=delivery.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert services.send_due() == 1
    assert only_delivery().status == "delivered"


def test_subscriptions_get_events_of_their_department_and_below_only(org, outside, django_capture_on_commit_callbacks):
    SubscriptionFactory(department=org.sales)
    SubscriptionFactory(department=org.support, events=[Event.AWARD_CONFIRMED])
    SubscriptionFactory(department=org.support, is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert emit(org) == 0
    assert WebhookEvent.objects.count() == 0  # nobody wanted it: nothing stored


def test_pausing_a_subscription_stops_its_waiting_deliveries(org, receiver):
    subscription = local(org, receiver)
    with transaction.atomic():
        emit(org)
    services.update_subscription(
        subscription=subscription,
        by=org.admin,
        name=subscription.name,
        url=subscription.url,
        department=subscription.department,
        events=subscription.events,
        format=subscription.format,
        is_active=False,
    )
    assert services.send(delivery_id=only_delivery().pk) is False
    assert only_delivery().status == "failed"
    assert "paused" in only_delivery().last_error
    assert receiver.requests == []


def test_a_storage_failure_does_not_fail_the_action(org, caplog):
    SubscriptionFactory(department=org.support)
    failing = mock.patch.object(Delivery.objects, "bulk_create", side_effect=IntegrityError("boom"))
    with failing, transaction.atomic():
        assert emit(org) == 0
        assert WebhookEvent.objects.count() == 0  # the savepoint rolled back; the transaction goes on
    assert "could not be recorded" in caplog.text


def test_settled_deliveries_past_the_retention_go_and_pending_ones_stay(org, settings):
    settings.WEBHOOKS_RETENTION_DAYS = 30
    SubscriptionFactory(department=org.support)
    now = timezone.now()
    emit(org)  # old, delivered: goes with its event
    emit(org)  # old, given up: goes with its event
    emit(org)  # old, still pending: stays with its event
    emit(org, key="follow-up-7-overdue")  # old, keyed: the delivery goes, the event stays (no second announcement)
    emit(org)  # recent, delivered: stays
    old, failed, pending, keyed, recent = Delivery.objects.order_by("pk")
    Delivery.objects.filter(pk__in=[old.pk, failed.pk, pending.pk, keyed.pk]).update(
        created_at=now - timedelta(days=31)
    )
    WebhookEvent.objects.exclude(pk=recent.event_id).update(created_at=now - timedelta(days=31))
    Delivery.objects.filter(pk__in=[old.pk, keyed.pk, recent.pk]).update(delivered_at=now - timedelta(days=1))
    Delivery.objects.filter(pk=failed.pk).update(failed_at=now - timedelta(days=20))
    assert services.forget_old(now=now) == (3, 2)
    assert set(Delivery.objects.values_list("pk", flat=True)) == {pending.pk, recent.pk}
    assert set(WebhookEvent.objects.values_list("pk", flat=True)) == {pending.event_id, keyed.event_id, recent.event_id}
    assert services.forget_old(now=now) == (0, 0)  # safe to run twice
    assert (
        services.emit(
            event=Event.CAMPAIGN_CLOSED,
            departments=[org.front_line],
            payload={},
            summary="s",
            url="/",
            key="follow-up-7-overdue",
        )
        == 0
    )  # the key still holds


def test_forgetting_goes_in_batches(org, monkeypatch):
    monkeypatch.setattr(services, "FORGET_BATCH", 2)
    SubscriptionFactory(department=org.support)
    for _ in range(5):
        emit(org)
    Delivery.objects.update(delivered_at=timezone.now())
    assert tasks.forget_old_deliveries.apply().get() == 0  # nothing is old yet
    assert services.forget_old(now=timezone.now() + timedelta(days=400)) == (5, 5)
