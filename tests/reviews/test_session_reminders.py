"""Invitations and reminders go out once per person and reminder, however often (or concurrently) the task runs."""

import os
import sys
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.utils import timezone

from config.celery import app as celery_app
from outbox.models import OutgoingEmail
from reviews import tasks
from reviews.models import Invitation, Reminder, ReviewSession
from reviews.services import sessions as scheduling
from tests.config.test_celery_worker import database_url
from tests.processes import Watched, eventually
from tests.reviews.factories import details, quarterly, schedule

pytestmark = pytest.mark.django_db


def keys() -> Counter:
    return Counter(OutgoingEmail.objects.values_list("dedup_key", flat=True))


def invited_days_ago(session: ReviewSession, days: float) -> None:
    Invitation.objects.filter(session=session).update(sent_at=timezone.now() - timedelta(days=days))


def test_invitations_are_sent_once_with_a_calendar_file(org, django_capture_on_commit_callbacks):
    session = schedule(org)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_invitations_and_reminders()
        tasks.send_invitations_and_reminders()
    emails = OutgoingEmail.objects.filter(dedup_key__startswith="review-invite:")
    assert sorted(emails.values_list("to", flat=True)) == ["alice@example.com", "bob@example.com"]
    email = emails.get(to="bob@example.com")
    assert email.subject.startswith("Invitation: Quality review, ")
    assert email.sent_at is not None  # the outbox sent it (eagerly, on commit)
    [sent] = [message for message in mail.outbox if message.to == ["bob@example.com"]]  # the outbox drops its copy
    assert "/reviews/answer/" in sent.body and session.get_absolute_url() in sent.body
    attachment = email.attachments[0]
    assert attachment["filename"].endswith(".ics") and attachment["mimetype"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in attachment["content"]


def test_a_run_sends_the_due_reminder_to_everyone_who_has_not_declined_once(org, settings):
    settings.KEEL_REVIEW_REMINDER_DAYS = [7, 1]
    session = schedule(org, days=6, people=[org.charlie])
    invited_days_ago(session, 2)
    Invitation.objects.filter(session=session, person=org.charlie).update(response="declined")
    first = scheduling.send_reminders()
    second = scheduling.send_reminders()
    assert first == {"before-1d": 0, "before-7d": 2, "no-response": 0}
    assert second == {"before-1d": 0, "before-7d": 0, "no-response": 0}
    reminders = [k for k in keys() if k.startswith("review-reminder:")]
    assert len(reminders) == 2 and set(keys().values()) == {1}
    assert Reminder.objects.filter(kind="before-7d").count() == 2


def test_each_offset_sends_its_own_reminder_once(org, settings):
    settings.KEEL_REVIEW_REMINDER_DAYS = [7, 1]
    session = schedule(org, days=6)
    invited_days_ago(session, 10)
    scheduling.send_reminders()
    ReviewSession.objects.filter(pk=session.pk).update(starts_at=timezone.now() + timedelta(hours=20))
    for _run in range(3):
        scheduling.send_reminders()
    kinds = Counter(Reminder.objects.values_list("kind", flat=True))
    assert kinds == {"before-7d": 2, "before-1d": 2, "no-response": 2}
    assert max(keys().values()) == 1


def test_a_late_run_sends_only_the_nearest_reminder(org, settings):
    """A beat that was down for a week does not send the 7-day and the 1-day reminder at once."""
    settings.KEEL_REVIEW_REMINDER_DAYS = [7, 1]
    session = schedule(org, days=0.5)
    invited_days_ago(session, 1)
    Invitation.objects.filter(session=session).update(response="accepted")
    assert scheduling.send_reminders() == {"before-1d": 2, "before-7d": 0, "no-response": 0}


def test_no_reminder_for_a_window_that_had_opened_before_the_invitation(org, settings):
    settings.KEEL_REVIEW_REMINDER_DAYS = [7, 1]
    schedule(org, days=3)
    scheduling.send_invitations()  # invited 3 days ahead: the invitation is the 7-day notice
    assert scheduling.send_reminders() == {"before-1d": 0, "before-7d": 0, "no-response": 0}


def test_the_no_response_reminder_goes_once_to_those_who_have_not_answered(org):
    session = schedule(org, days=20)
    invited_days_ago(session, 4)
    Invitation.objects.filter(session=session, person=org.alice).update(response="accepted")
    assert scheduling.send_reminders()["no-response"] == 1
    assert scheduling.send_reminders()["no-response"] == 0
    email = OutgoingEmail.objects.get(dedup_key__endswith=":no-response")
    assert email.to == "bob@example.com" and email.subject.startswith("Please answer: ")


def test_a_reminder_claimed_by_another_run_is_not_sent_again(org, settings):
    """The unique Reminder row is the claim: a concurrent run that inserted it first sends, this one does not."""
    settings.KEEL_REVIEW_REMINDER_DAYS = [7]
    session = schedule(org, days=6)
    invited_days_ago(session, 10)
    bob = session.invitations.get(person=org.bob)
    assert scheduling._claim_and_send(bob, "before-7d") is True
    assert scheduling._claim_and_send(bob, "before-7d") is False
    assert keys()[f"review-reminder:{bob.pk}:before-7d"] == 1


def test_a_run_killed_mid_way_leaves_no_claim_behind(org, settings, monkeypatch):
    """The claim and the e-mail commit together: if queueing fails, the reminder is still due next run."""
    settings.KEEL_REVIEW_REMINDER_DAYS = [7]
    session = schedule(org, days=6)
    invited_days_ago(session, 10)

    def worker_dies(**kwargs):
        raise SystemExit("killed")

    monkeypatch.setattr(scheduling, "queue_email", worker_dies)
    with pytest.raises(SystemExit):
        scheduling.send_reminders()
    assert Reminder.objects.count() == 0
    monkeypatch.undo()
    assert scheduling.send_reminders()["before-7d"] == 2


def test_cancelled_and_past_sessions_get_nothing(org):
    cancelled = schedule(org, days=6)
    scheduling.cancel_session(session=cancelled, by=org.admin, reason="")
    started = schedule(org, days=1)
    ReviewSession.objects.filter(pk=started.pk).update(starts_at=timezone.now() - timedelta(minutes=5))
    sent = scheduling.send_due_emails()
    assert sent.invitations == 0 and sum(sent.reminders.values()) == 0
    assert OutgoingEmail.objects.count() == 0


def test_people_without_an_address_are_skipped(org):
    org.bob.email = ""
    org.bob.save()
    schedule(org)
    assert scheduling.send_invitations() == 1


def test_reminder_queries_do_not_grow_with_invitees_on_a_repeat_run(org, settings, django_assert_max_num_queries):
    settings.KEEL_REVIEW_REMINDER_DAYS = [7, 1]
    for _n in range(3):
        invited_days_ago(schedule(org, days=6, people=[org.charlie]), 10)
    scheduling.send_due_emails()
    # A repeat run finds nothing to claim: invitations (1), one query per reminder kind (3).
    with django_assert_max_num_queries(4):
        scheduling.send_due_emails()


def test_the_series_task_extends_every_running_series(org):
    series = scheduling.create_series(
        by=org.admin, details=details(org), pattern=quarterly(timezone.localdate().replace(day=1))
    )
    ReviewSession.objects.filter(series=series).delete()
    assert tasks.extend_series() >= 1
    assert tasks.extend_series() == 0


# --- with a real worker, through the broker ------------------------------------------------------------------------


@pytest.fixture
def worker_queue():
    """Like tests/config's worker, but the worker also sends what it enqueues (the outbox's e-mails) to its own
    queue, so no other worker on a shared broker takes them and the test can see them sent."""
    queue = f"keel-test-{uuid.uuid4().hex[:8]}"
    argv = [
        "worker",
        "--pool=solo",
        "-Q",
        queue,
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        f"--hostname={queue}@%h",
    ]
    code = f"from config.celery import app; app.conf.task_default_queue = {queue!r}; app.worker_main({argv!r})"
    env = os.environ | {"DATABASE_URL": database_url(), "KEEL_DATA_DIR": str(settings.DATA_DIR)}
    worker = Watched([sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR)
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        worker.wait_for("ready.", timeout=60)
        yield worker
    finally:
        celery_app.conf.task_default_queue = previous
        worker.stop()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_running_the_task_twice_sends_each_reminder_exactly_once(org, settings, worker_queue):
    settings.KEEL_REVIEW_REMINDER_DAYS = [7, 1]
    with transaction.atomic():
        session = schedule(org, days=6, people=[org.charlie])
        invited_days_ago(session, 10)  # sent long ago: the 7-day and no-response reminders are due
    tasks.send_invitations_and_reminders.delay()
    tasks.send_invitations_and_reminders.delay()
    done = eventually(
        lambda: (
            worker_queue.output.count("Task reviews.tasks.send_invitations_and_reminders[") >= 4
            and worker_queue.output.count("succeeded") >= 2
        ),
        timeout=60,
    )
    assert done, worker_queue.output[-3000:]
    expected = {
        f"review-reminder:{i.pk}:{kind}" for i in session.invitations.all() for kind in ("before-7d", "no-response")
    }
    sent = eventually(
        lambda: OutgoingEmail.objects.filter(dedup_key__in=expected, sent_at__isnull=False).count() == len(expected),
        timeout=60,
    )
    assert sent, worker_queue.output[-3000:]
    assert Counter(OutgoingEmail.objects.filter(dedup_key__in=expected).values_list("dedup_key", flat=True)) == {
        key: 1 for key in expected
    }
    assert Reminder.objects.count() == len(expected) == 6
