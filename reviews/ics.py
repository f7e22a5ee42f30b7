"""RFC 5545 calendar files (.ics) for review sessions: one VEVENT, in UTC, folded and escaped by the rules."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from reviews.models import ReviewSession

LINE_OCTETS = 75
# SEQUENCE must grow with every change of an event; seconds since this moment do, and fit an integer.
SEQUENCE_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def sequence_at(moment: datetime) -> int:
    """The SEQUENCE of a change made at `moment` (the first invitation is 0)."""
    return max(0, int((moment - SEQUENCE_EPOCH).total_seconds()))


def escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11): backslash, semicolon, comma and newlines."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """Split a content line into pieces of at most 75 octets, never inside a UTF-8 character (RFC 5545 3.1)."""
    pieces, current, size = [], "", 0
    for char in line:
        octets = len(char.encode())
        limit = LINE_OCTETS if not pieces else LINE_OCTETS - 1  # continuation lines start with a space
        if size + octets > limit:
            pieces.append(current)
            current, size = "", 0
        current += char
        size += octets
    pieces.append(current)
    return "\r\n ".join(pieces)


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def uid(session: ReviewSession) -> str:
    host = urlsplit(settings.KEEL_SITE_URL).hostname or "keel"
    return f"review-session-{session.pk}@{host}"


def build(*, session: ReviewSession, attendee=None, url: str = "", method: str = "REQUEST", sequence: int = 0,
          now: datetime | None = None) -> str:
    """The .ics text of the session for one attendee; METHOD:CANCEL marks it cancelled in their calendar."""
    now = now or timezone.now()
    ends_at = session.starts_at + timedelta(minutes=session.duration_minutes)
    description = session.agenda or ""
    if session.video_link:
        description = f"{description}\n\nVideo link: {session.video_link}".strip()
    if url:
        description = f"{description}\n\nIn Keel: {url}".strip()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Keel//Review sessions//EN",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{uid(session)}",
        f"SEQUENCE:{sequence}",
        f"DTSTAMP:{utc(now)}",
        f"DTSTART:{utc(session.starts_at)}",
        f"DTEND:{utc(ends_at)}",
        f"SUMMARY:{escape(session.title)}",
        f"DESCRIPTION:{escape(description)}",
        f"LOCATION:{escape(session.place or session.video_link)}",
        f"STATUS:{'CANCELLED' if method == 'CANCEL' else 'CONFIRMED'}",
    ]
    if url:
        lines.append(f"URL:{url}")
    facilitator = session.facilitator
    if facilitator.email:
        lines.append(f"ORGANIZER;CN={_param(str(facilitator))}:mailto:{facilitator.email}")
    if attendee is not None and attendee.email:
        lines.append(f"ATTENDEE;CN={_param(str(attendee))};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:"
                     f"mailto:{attendee.email}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(fold(line) for line in lines) + "\r\n"


def _param(value: str) -> str:
    """A parameter value: quoted, without the characters a quoted value may not hold."""
    return '"' + value.replace('"', "'").replace("\r", " ").replace("\n", " ") + '"'
