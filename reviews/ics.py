"""Calendar files (.ics, RFC 5545) for review sessions, built with the icalendar package: one VEVENT, in UTC.

Every file of a session carries the session's current SEQUENCE (ReviewSession.sequence, raised by each change
sent to invitees), so a calendar program never takes a later reminder or download for an outdated invitation.
"""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress

from reviews.models import ReviewSession

PRODID = "-//Keel//Review sessions//EN"


def uid(session: ReviewSession) -> str:
    host = urlsplit(settings.KEEL_SITE_URL).hostname or "keel"
    return f"review-session-{session.pk}@{host}"


def _address(person, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = " ".join(str(person).split())  # one line: a parameter value cannot hold a line break
    address.params.update(params)
    return address


def build(*, session: ReviewSession, attendee=None, url: str = "", now: datetime | None = None) -> str:
    """The .ics text of the session for one attendee, with the session's current SEQUENCE; a cancelled session
    gives METHOD:CANCEL, which removes it from the attendee's calendar."""
    now = now or timezone.now()
    cancelled = session.cancelled_at is not None
    description = session.agenda or ""
    if session.video_link:
        description = f"{description}\n\nVideo link: {session.video_link}".strip()
    if url:
        description = f"{description}\n\nIn Keel: {url}".strip()

    event = Event()
    event.add("uid", uid(session))
    event.add("sequence", session.sequence)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", session.starts_at.astimezone(UTC))
    event.add("dtend", (session.starts_at + timedelta(minutes=session.duration_minutes)).astimezone(UTC))
    event.add("summary", session.title)
    event.add("description", description)
    event.add("location", session.place or session.video_link)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if url:
        event.add("url", url)
    if session.facilitator.email:
        event.add("organizer", _address(session.facilitator))
    if attendee is not None and attendee.email:
        event.add("attendee", _address(attendee, ROLE="REQ-PARTICIPANT", PARTSTAT="NEEDS-ACTION", RSVP="FALSE"))

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method(session))
    calendar.add_component(event)
    return calendar.to_ical().decode()


def method(session: ReviewSession) -> str:
    """The iTIP method of the session's files: CANCEL once it is cancelled, REQUEST before."""
    return "CANCEL" if session.cancelled_at is not None else "REQUEST"
