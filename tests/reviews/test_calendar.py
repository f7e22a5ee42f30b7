"""The .ics files of a session are valid RFC 5545, parsed back with icalendar, and every file of an event carries
its current SEQUENCE: the invitation, the update, the reminders, the download and the cancellation."""

import importlib
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from outbox.models import OutgoingEmail
from reviews import ics
from reviews.models import Invitation, ReviewSession
from reviews.services import sessions as scheduling
from tests.reviews.factories import ReviewSessionFactory, details, quarterly

pytestmark = pytest.mark.django_db


def parse(text: str):
    """The one event of a calendar file, with the calendar's METHOD (icalendar refuses what is not RFC 5545)."""
    assert "\n" not in text.replace("\r\n", ""), "bare LF or CR"
    calendar = Calendar.from_ical(text)
    [event] = calendar.events
    return calendar, event


def sequence_of(text: str) -> int:
    return int(parse(text)[1]["SEQUENCE"])


def attachment(email: OutgoingEmail) -> str:
    [file] = email.attachments
    assert file["filename"].endswith(".ics")
    return file["content"]


@pytest.fixture
def session(org):
    return ReviewSessionFactory(
        title="Quality review; Q3, “Support tickets”",
        facilitator=org.alice,
        place="Room 4, second floor",
        starts_at=datetime(2026, 7, 7, 7, 30, tzinfo=UTC),
        duration_minutes=90,
        agenda="1. Figures\\trends\n2. Actions " + "and a long agenda line that must fold " * 5,
    )


def test_it_parses_back_to_the_session(session, org):
    text = ics.build(
        session=session,
        attendee=org.bob,
        url="https://keel.example/reviews/sessions/1/",
        now=datetime(2026, 6, 1, tzinfo=UTC),
    )
    calendar, event = parse(text)
    assert (calendar["VERSION"], calendar["METHOD"]) == ("2.0", "REQUEST")
    assert event["UID"] == f"review-session-{session.pk}@127.0.0.1"
    assert event.decoded("DTSTAMP") == datetime(2026, 6, 1, tzinfo=UTC)
    assert event.decoded("DTSTART") == datetime(2026, 7, 7, 7, 30, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2026, 7, 7, 9, 0, tzinfo=UTC)
    assert str(event["SUMMARY"]) == session.title
    assert str(event["LOCATION"]) == "Room 4, second floor"
    assert str(event["DESCRIPTION"]).startswith(session.agenda)
    assert str(event["URL"]) == "https://keel.example/reviews/sessions/1/"
    assert str(event["ATTENDEE"]) == "mailto:bob@example.com" and event["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
    assert str(event["ORGANIZER"]) == "mailto:alice@example.com"
    assert event["STATUS"] == "CONFIRMED"
    assert event["SEQUENCE"] == 0


def test_it_uses_crlf_and_folds_lines_at_75_octets_without_splitting_a_character(session, org):
    session.title = "Qualität “Überprüfung” " * 8
    text = ics.build(session=session, attendee=org.bob)
    assert text.endswith("\r\n")
    physical = [line.encode() for line in text.split("\r\n")[:-1]]
    assert max(len(line) for line in physical) <= 75
    assert any(line.startswith(b" ") for line in physical)  # the agenda and the title were folded
    for line in physical:
        line.decode()  # a character split across lines would not decode
    assert str(parse(text)[1]["SUMMARY"]) == session.title


def test_a_name_with_quotes_or_line_breaks_stays_one_parameter(session, org):
    org.bob.first_name, org.bob.last_name = 'Bob "the builder"', "Smith;\nJr"
    org.bob.save()
    _calendar, event = parse(ics.build(session=session, attendee=org.bob))
    assert str(event["ATTENDEE"]) == "mailto:bob@example.com"
    assert "\n" not in event["ATTENDEE"].params["CN"]


def test_a_cancelled_session_gives_method_cancel_and_its_raised_sequence(org):
    session = ReviewSessionFactory(
        facilitator=org.alice, invite=[org.bob], starts_at=timezone.now() + timedelta(days=3)
    )
    scheduling.cancel_session(session=session, by=org.admin, reason="The room flooded.")
    session.refresh_from_db()
    calendar, event = parse(ics.build(session=session, attendee=org.bob))
    assert calendar["METHOD"] == "CANCEL" and event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 1


def test_it_can_be_read_by_the_standard_library_as_a_mime_part(session, org):
    """The outbox attaches it as text/calendar: what a mail client receives decodes back to the same text."""
    from email import message_from_string
    from email.mime.text import MIMEText

    text = ics.build(session=session, attendee=org.bob)
    part = message_from_string(MIMEText(text, "calendar", "utf-8").as_string())
    assert part.get_content_type() == "text/calendar"
    assert part.get_payload(decode=True).decode() == text


# --- one SEQUENCE for every file of an event ---------------------------------------------------------------------


@pytest.fixture
def moved(org, settings):
    """A quarterly series whose invitations went out ten days ago, then moved to 15:00: (session, update e-mail)."""
    settings.KEEL_REVIEW_REMINDER_DAYS = [7]
    now = timezone.now()
    series = scheduling.create_series(
        by=org.admin, details=details(org), pattern=quarterly(date(now.year, now.month, 1)), now=now
    )
    scheduling.send_invitations(now=now)
    Invitation.objects.filter(session__series=series).update(sent_at=now - timedelta(days=10))
    scheduling.update_series(
        series=series,
        by=org.admin,
        details=details(org),
        pattern=quarterly(date(now.year, now.month, 1), local_time=time(15, 0)),
        now=now,
    )
    update = (
        OutgoingEmail.objects.filter(subject__startswith="Updated: ", to=org.bob.email).order_by("dedup_key").first()
    )
    invitation = Invitation.objects.get(pk=update.dedup_key.split(":")[1])
    return invitation.session, update


def test_a_moved_session_announces_a_higher_sequence(moved):
    session, update = moved
    assert sequence_of(attachment(update)) == session.sequence == 1


def test_a_reminder_after_a_move_carries_the_sequence_of_the_update(moved, org):
    session, update = moved
    ReviewSession.objects.filter(pk=session.pk).update(starts_at=timezone.now() + timedelta(days=5))
    assert scheduling.send_reminders()["before-7d"] >= 1
    invitation = session.invitations.get(person=org.bob)
    reminders = OutgoingEmail.objects.filter(dedup_key__startswith=f"review-reminder:{invitation.pk}:")
    assert reminders.exists()
    assert {sequence_of(attachment(r)) for r in reminders} == {sequence_of(attachment(update))}
    assert sequence_of(attachment(update)) > 0


def test_the_session_pages_calendar_file_carries_the_sequence_of_the_update(moved, client, org):
    session, update = moved
    client.force_login(org.bob)
    response = client.get(reverse("reviews:session_ics", args=[session.pk]))
    assert sequence_of(response.content.decode()) == sequence_of(attachment(update)) > 0


def test_cancelling_a_moved_session_raises_its_sequence_again(moved, org):
    session, update = moved
    scheduling.cancel_session(session=session, by=org.admin, reason="")
    cancellation = OutgoingEmail.objects.get(dedup_key__startswith="review-cancel:", to=org.bob.email)
    calendar, event = parse(attachment(cancellation))
    assert calendar["METHOD"] == "CANCEL"
    assert event["SEQUENCE"] == sequence_of(attachment(update)) + 1


def test_the_migration_gives_sessions_the_highest_sequence_already_sent(org):
    """Before the field, an update e-mail carried seconds since 2020 and a cancellation the same of its moment."""
    backfill = importlib.import_module("reviews.migrations.0002_session_sequence").backfill
    updated = ReviewSessionFactory(facilitator=org.alice, invite=[org.bob])
    cancelled = ReviewSessionFactory(facilitator=org.alice, cancelled_at=datetime(2020, 1, 2, tzinfo=UTC))
    untouched = ReviewSessionFactory(facilitator=org.alice)
    invitation = updated.invitations.get()
    for sequence in (500, 217000000):
        OutgoingEmail.objects.create(
            to="bob@example.com", subject="Updated", body="", dedup_key=f"review-update:{invitation.pk}:{sequence}"
        )
    backfill(apps, None)
    sequences = dict(ReviewSession.objects.values_list("pk", "sequence"))
    assert (sequences[updated.pk], sequences[cancelled.pk], sequences[untouched.pk]) == (217000000, 86400, 0)
