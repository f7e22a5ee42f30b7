"""Acknowledgement reminders: overdue requests are e-mailed once per person and interval, however often the job runs."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection

from goals import tasks
from goals.models import Acknowledgement
from goals.services import definitions
from goals.services.definitions import CriterionRow
from outbox.models import OutgoingEmail
from tests.helpers import TEST_NOW as NOW
from tests.helpers import emails_to
from tests.org.factories import UserFactory


def published(org, title="Support tickets", *, days_ago=5, **details):
    definition = definitions.create_definition(
        by=org.alice,
        department=org.support,
        title=title,
        promise="We reply quickly.",
        criteria=[CriterionRow(text="First reply within 4 hours")],
        **details,
    )
    definitions.publish(
        definition=definition, major=True, change_summary="", by=org.alice, at=NOW - timedelta(days=days_ago)
    )
    return definition


def remind(days_later=0):
    return definitions.send_reminders(now=NOW + timedelta(days=days_later))


def test_nobody_is_reminded_before_the_first_delay(org):
    published(org, days_ago=2)
    assert remind() == 0
    assert remind(days_later=1) == 1  # three days after the request


def test_a_person_gets_one_email_listing_everything_overdue(org):
    published(org, "Support tickets")
    published(org, "Callbacks", days_ago=10)
    assert remind() == 1  # bob; alice published both and has read them
    [email] = emails_to(org.bob)
    assert email.subject == "Please acknowledge 2 quality definitions"
    assert "Callbacks (version 1" in email.body and "Support tickets (version 1" in email.body
    assert "/definitions/" in email.body
    assert set(Acknowledgement.objects.filter(person=org.bob).values_list("reminders", flat=True)) == {1}


def test_running_twice_sends_nothing_twice(org):
    published(org)
    assert remind() == 1
    assert remind() == 0
    assert remind(days_later=1) == 0
    assert len(emails_to(org.bob)) == 1
    assert Acknowledgement.objects.get(person=org.bob).reminders == 1


def test_requests_another_run_claimed_are_left_to_it(org):
    definition = published(org)
    Acknowledgement.objects.filter(person=org.bob).update(reminded_at=NOW, reminders=1)  # the other run's claim
    assert remind() == 0
    assert emails_to(org.bob) == []
    assert Acknowledgement.objects.get(definition=definition, person=org.bob).reminders == 1


def test_a_person_is_skipped_when_another_run_claimed_part_of_their_requests(org, monkeypatch):
    published(org, "Support tickets")
    published(org, "Callbacks")
    rows = list(Acknowledgement.objects.filter(person=org.bob).order_by("pk"))
    real_filter = definitions.Acknowledgement.objects.filter

    def filter_after_a_rival_claim(*args, **kwargs):
        if "pk__in" in kwargs:  # the claim: a rival run has just taken the first request
            Acknowledgement.objects.filter(pk=rows[0].pk).update(reminded_at=NOW, reminders=1)
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(definitions.Acknowledgement.objects, "filter", filter_after_a_rival_claim)
    assert remind() == 0
    monkeypatch.undo()
    assert emails_to(org.bob) == []
    rows[1].refresh_from_db()
    assert (rows[1].reminded_at, rows[1].reminders) == (None, 0)  # rolled back: still due, for a later run


def test_a_person_reminded_today_is_not_emailed_again_today(org):
    published(org)
    assert remind() == 1
    Acknowledgement.objects.update(reminded_at=None, reminders=0)  # e.g. reset by hand in the admin
    assert remind() == 0
    assert len(emails_to(org.bob)) == 1
    assert Acknowledgement.objects.get(person=org.bob).reminded_at is None  # still due: tomorrow's reminder


def test_reminders_repeat_after_the_interval_and_not_before(org):
    published(org)
    assert remind() == 1
    assert remind(days_later=6) == 0
    assert remind(days_later=7) == 1
    row = Acknowledgement.objects.get(person=org.bob)
    assert row.reminders == 2 and row.reminded_at == NOW + timedelta(days=7)
    assert len(emails_to(org.bob)) == 2


def test_the_delays_come_from_the_settings(org, settings):
    settings.KEEL_ACK_REMINDER_DAYS = 1
    settings.KEEL_ACK_REMINDER_INTERVAL_DAYS = 2
    published(org, days_ago=1)
    assert remind() == 1
    assert remind(days_later=1) == 0
    assert remind(days_later=2) == 1


def test_acknowledged_superseded_retired_and_departed_requests_are_not_reminded(org):
    acknowledged = published(org, "Acknowledged")
    definitions.acknowledge(definition=acknowledged, person=org.bob)
    retired = published(org, "Retired")
    definitions.retire(definition=retired, by=org.alice)
    superseded = published(org, "Superseded", days_ago=20)
    definitions.save_draft(
        definition=superseded, by=org.alice, promise="New", criteria=[CriterionRow(text="New criterion")]
    )
    definitions.publish(
        definition=superseded, major=True, change_summary="New", by=org.alice, at=NOW - timedelta(days=1)
    )  # v2 is too recent for a reminder; v1 is history
    gone = UserFactory(username="gone", department=org.front_line)
    published(org, "Before leaving")
    gone.is_active = False
    gone.save()
    assert remind() == 1
    [email] = emails_to(org.bob)
    assert "Before leaving" in email.body and "Superseded" not in email.body and "Retired" not in email.body
    assert emails_to(gone) == []


def test_the_task_sends_the_reminder_once_the_transaction_commits(org, django_capture_on_commit_callbacks):
    published(org)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_acknowledgement_reminders() == 1
    [message] = mail.outbox
    assert message.to == [org.bob.email] and message.subject == "Please acknowledge “Support tickets”"
    assert "Hello Bob" in message.body


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_remind_each_person_once(org):
    for n in range(6):
        UserFactory(username=f"agent{n}", department=org.front_line)
    published(org, "Support tickets")
    published(org, "Callbacks")
    results, errors = [], []

    def run():
        try:
            results.append(remind())
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(results) == 7  # bob and six agents, each once
    assert OutgoingEmail.objects.count() == 7
    assert set(Acknowledgement.objects.exclude(person=org.alice).values_list("reminders", flat=True)) == {1}
