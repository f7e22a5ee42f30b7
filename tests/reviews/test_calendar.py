"""The .ics file of a session is valid RFC 5545: parsed back line by line, it says what the session says."""

from datetime import UTC, datetime

import pytest

from reviews import ics
from tests.reviews.factories import ReviewSessionFactory

pytestmark = pytest.mark.django_db


def unfold(text: str) -> list[str]:
    """RFC 5545 3.1: CRLF followed by one space or tab continues the previous line."""
    assert "\n" not in text.replace("\r\n", ""), "bare LF or CR"
    lines = []
    for line in text.split("\r\n")[:-1]:
        if line[:1] in (" ", "\t"):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def unescape(value: str) -> str:
    out, chars = "", iter(value)
    for char in chars:
        if char == "\\":
            following = next(chars)
            out += "\n" if following in "nN" else following
        else:
            out += char
    return out


def parse(text: str) -> dict[str, str]:
    """name -> value of the event's and calendar's properties (parameters after ';' are kept in the name)."""
    fields = {}
    for line in unfold(text):
        name, _colon, value = line.partition(":")
        fields.setdefault(name.split(";")[0], value)
    return fields


@pytest.fixture
def session(org):
    return ReviewSessionFactory(
        title="Quality review; Q3, “Support tickets”", facilitator=org.alice, place="Room 4, second floor",
        starts_at=datetime(2026, 7, 7, 7, 30, tzinfo=UTC), duration_minutes=90,
        agenda="1. Figures\\trends\n2. Actions " + "and a long agenda line that must fold " * 5)


def test_it_parses_back_to_the_session(session, org):
    text = ics.build(session=session, attendee=org.bob, url="https://keel.example/reviews/sessions/1/",
                     now=datetime(2026, 6, 1, tzinfo=UTC))
    fields = parse(text)
    assert fields["BEGIN"] == "VCALENDAR" and fields["VERSION"] == "2.0" and fields["METHOD"] == "REQUEST"
    assert fields["UID"] == f"review-session-{session.pk}@127.0.0.1"
    assert fields["DTSTAMP"] == "20260601T000000Z"
    assert (fields["DTSTART"], fields["DTEND"]) == ("20260707T073000Z", "20260707T090000Z")
    assert unescape(fields["SUMMARY"]) == session.title
    assert unescape(fields["LOCATION"]) == "Room 4, second floor"
    assert unescape(fields["DESCRIPTION"]).startswith(session.agenda)
    assert fields["URL"] == "https://keel.example/reviews/sessions/1/"
    assert fields["ATTENDEE"] == "mailto:bob@example.com"
    assert fields["ORGANIZER"] == "mailto:alice@example.com"
    assert fields["SEQUENCE"] == "0"


def test_it_uses_crlf_and_folds_lines_at_75_octets(session, org):
    text = ics.build(session=session, attendee=org.bob)
    assert text.endswith("\r\n")
    physical = text.split("\r\n")[:-1]
    assert max(len(line.encode()) for line in physical) <= 75
    assert any(line.startswith(" ") for line in physical)  # the agenda was folded


def test_folding_never_splits_a_character():
    line = "SUMMARY:" + "é“" * 60
    folded = ics.fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line


def test_a_cancellation_has_method_cancel_and_a_higher_sequence(session, org):
    when = datetime(2026, 6, 2, tzinfo=UTC)
    fields = parse(ics.build(session=session, attendee=org.bob, method="CANCEL", sequence=ics.sequence_at(when)))
    assert fields["METHOD"] == "CANCEL" and fields["STATUS"] == "CANCELLED"
    assert int(fields["SEQUENCE"]) > 0


def test_it_can_be_read_by_the_standard_library_as_a_mime_part(session, org):
    """The outbox attaches it as text/calendar: what a mail client receives decodes back to the same text."""
    from email import message_from_string
    from email.mime.text import MIMEText

    text = ics.build(session=session, attendee=org.bob)
    part = message_from_string(MIMEText(text, "calendar", "utf-8").as_string())
    assert part.get_content_type() == "text/calendar"
    assert part.get_payload(decode=True).decode() == text
