"""Scheduling review sessions and recurring series; invitations, answers, cancellation, attendance, minutes, actions.

Times: a session's start is stored in UTC; a series keeps its local time and zone, and each occurrence is its local
day at that local time in that zone, converted to UTC one day at a time, so daylight-saving changes never move it.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from core import dates, periods
from core.exceptions import RuleViolation
from goals.models import QualityDefinition
from org import access
from org.models import Department, User
from outbox.services import queue_email
from reviews import ics
from reviews.models import ActionItem, Completion, Invitation, Reminder, ReviewSeries, ReviewSession

RESPONSE_SALT = "reviews.invitation-response"
RESPONSE_LINK_MAX_AGE = timedelta(days=120)
ANSWERS = (Invitation.Response.ACCEPTED, Invitation.Response.DECLINED)
# Fields of a series that its future occurrences copy.
COPIED = ("title", "agenda", "time_zone", "duration_minutes", "place", "video_link", "facilitator_id")


# --- time --------------------------------------------------------------------------------------------------------


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RuleViolation(
            f"“{name}” is not a time zone; pick one from the list, e.g. Europe/Berlin.", field="time_zone"
        ) from None


def local_start(day: date, at: time, zone_name: str) -> datetime:
    """The aware moment `at` o'clock on `day` in the zone (a time skipped by a DST jump moves forward with it)."""
    moment = datetime.combine(day, at, tzinfo=zone(zone_name))
    return moment.astimezone(ZoneInfo("UTC")).astimezone(moment.tzinfo)


def occurrence_days(series: ReviewSeries, *, start: date, end: date) -> list[date]:
    """The series' local days from `start` to `end` inclusive: the chosen weekday of every N-th month from
    first_month on, never after `until`."""
    days = []
    index = series.first_month.year * 12 + series.first_month.month - 1
    while True:
        year, month = divmod(index, 12)
        day = periods.nth_weekday(year, month + 1, series.week_of_month, series.weekday)
        if day > end or (series.until and day > series.until):
            return days
        if day >= start:
            days.append(day)
        index += series.every_months


def describe_pattern(series: ReviewSeries) -> str:
    """'Every first Tuesday, every 3 months, 09:30 Europe/Berlin'."""
    every = {1: "every month", 3: "quarterly", 12: "yearly"}.get(
        series.every_months, f"every {series.every_months} months"
    )
    return (
        f"{series.get_week_of_month_display().capitalize()} {series.get_weekday_display()}, {every}, "
        f"{series.local_time:%H:%M} {series.time_zone}"
    )


# --- invitees ----------------------------------------------------------------------------------------------------


def invitees(*, departments: Iterable[Department] = (), people: Iterable[User] = ()):
    """Active people of the departments and everything below them, plus the named active people."""
    paths = [d.path for d in departments]
    condition = Q(pk__in=[p.pk for p in people])
    if paths:
        condition |= Q(department__in=Department.objects.subtrees(paths))
    return User.objects.filter(condition, is_active=True)


def _invite_ids(session_ids: list[int], person_ids: list[int]) -> None:
    Invitation.objects.bulk_create(
        [Invitation(session_id=s, person_id=p) for s in session_ids for p in person_ids],
        ignore_conflicts=True,
        batch_size=1000,
    )


def invite(*, session: ReviewSession, departments: Iterable[Department] = (), people: Iterable[User] = ()) -> int:
    """Invite the people (departments expand to their active members, subtrees included); people already invited
    stay as they are. Returns how many invitations the session has. Raises RuleViolation when nobody is named."""
    person_ids = list(invitees(departments=departments, people=people).values_list("pk", flat=True))
    if not person_ids:
        raise RuleViolation("Invite at least one person, or a department with active members.", field="people")
    _invite_ids([session.pk], person_ids)
    return session.invitations.count()


# --- sessions and series -----------------------------------------------------------------------------------------


@dataclass
class Details:
    """What a session or series says: the same fields on both."""

    title: str
    facilitator: User
    time_zone: str
    duration_minutes: int
    place: str = ""
    video_link: str = ""
    agenda: str = ""
    definitions: list[QualityDefinition] = field(default_factory=list)
    departments: list[Department] = field(default_factory=list)
    people: list[User] = field(default_factory=list)


def duration_between(start: time, end: time) -> int:
    """Minutes from a start to an end time on the same day; RuleViolation when the end is not after the start."""
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    if minutes <= 0:
        raise RuleViolation(
            f"The session must end after it starts (it starts at {start:%H:%M}, ends at {end:%H:%M}).", field="end_time"
        )
    if minutes < 5:
        raise RuleViolation("A session lasts at least 5 minutes.", field="end_time")
    return minutes


def _check_details(details: Details) -> None:
    zone(details.time_zone)
    if details.duration_minutes < 5:
        raise RuleViolation("A session lasts at least 5 minutes.", field="end_time")
    if not (details.place.strip() or details.video_link.strip()):
        raise RuleViolation("Say where it takes place: a room, or a video link.", field="place")
    if not details.definitions:
        raise RuleViolation("Choose the quality definitions the session reviews.", field="definitions")
    if not invitees(departments=details.departments, people=details.people).exists():
        raise RuleViolation("Invite at least one person, or a department with active members.", field="people")


def _full_clean(obj, *exclude) -> None:
    try:
        obj.full_clean(exclude=list(exclude))
    except ValidationError as error:
        name, messages = next(iter(error.message_dict.items()))
        raise RuleViolation(messages[0], field=None if name == "__all__" else name) from None


@transaction.atomic
def schedule_session(*, by: User, details: Details, starts_at: datetime, now: datetime | None = None) -> ReviewSession:
    """Schedule one session and invite its people (the invitation e-mails go out with the next task run).

    Raises RuleViolation for a start in the past, a bad zone or duration, no place, no definitions or nobody to
    invite; nothing is saved then.
    """
    now = now or timezone.now()
    if starts_at <= now:
        raise RuleViolation("The session would start in the past; choose a later date or time.", field="date")
    dates.check(starts_at, field="date")
    _check_details(details)
    session = ReviewSession(
        title=details.title,
        agenda=details.agenda,
        starts_at=starts_at,
        time_zone=details.time_zone,
        duration_minutes=details.duration_minutes,
        place=details.place,
        video_link=details.video_link,
        facilitator=details.facilitator,
        created_by=by,
    )
    _full_clean(session)
    session.save()
    session.definitions.set(details.definitions)
    invite(session=session, departments=details.departments, people=details.people)
    return session


@dataclass
class Pattern:
    """When a series meets: the chosen weekday of every N-th month, at a local time."""

    week_of_month: int
    weekday: int
    every_months: int
    first_month: date
    local_time: time
    until: date | None = None


def _apply(series: ReviewSeries, details: Details, pattern: Pattern) -> None:
    series.title, series.agenda = details.title, details.agenda
    series.time_zone, series.duration_minutes = details.time_zone, details.duration_minutes
    series.place, series.video_link, series.facilitator = details.place, details.video_link, details.facilitator
    series.week_of_month, series.weekday, series.every_months = (
        pattern.week_of_month,
        pattern.weekday,
        pattern.every_months,
    )
    series.first_month, series.local_time, series.until = (
        pattern.first_month.replace(day=1),
        pattern.local_time,
        pattern.until,
    )


def _save_series(series: ReviewSeries, details: Details, now: datetime) -> None:
    dates.check(series.first_month, field="first_month")
    dates.check(series.until, field="until")
    if series.until and series.until < timezone.localtime(now, zone(series.time_zone)).date():
        raise RuleViolation("The series would end in the past; choose a later last day, or none.", field="until")
    if not (1 <= series.every_months <= 24):
        raise RuleViolation("Repeat every 1 to 24 months.", field="every_months")
    _full_clean(series, "definitions", "invited_departments", "invited_people")
    series.save()
    series.definitions.set(details.definitions)
    series.invited_departments.set(details.departments)
    series.invited_people.set(details.people)


@transaction.atomic
def create_series(*, by: User, details: Details, pattern: Pattern, now: datetime | None = None) -> ReviewSeries:
    """Create a recurring series and its occurrences within KEEL_REVIEW_SERIES_HORIZON_DAYS, with invitations.

    Raises RuleViolation for bad details (see schedule_session) or a pattern that ends before it starts.
    """
    now = now or timezone.now()
    _check_details(details)
    series = ReviewSeries(created_by=by)
    _apply(series, details, pattern)
    _save_series(series, details, now)
    extend_series(series=series, now=now)
    return series


def _horizon(series: ReviewSeries, now: datetime) -> tuple[date, date]:
    today = timezone.localtime(now, zone(series.time_zone)).date()
    return today, today + timedelta(days=settings.KEEL_REVIEW_SERIES_HORIZON_DAYS)


def _series_invitee_ids(series: ReviewSeries) -> list[int]:
    return list(
        invitees(departments=series.invited_departments.all(), people=series.invited_people.all()).values_list(
            "pk", flat=True
        )
    )


@transaction.atomic
def extend_series(*, series: ReviewSeries, now: datetime | None = None) -> int:
    """Make the series' missing future occurrences up to the horizon, with definitions and invitations, and bring
    the invitations of every future occurrence up to date with the invited departments as they are now.

    Idempotent: (series, occurrence) is unique, and every insert ignores rows that exist, so a second or
    concurrent run adds nothing. Returns how many occurrences this run created.
    """
    now = now or timezone.now()
    if series.ended_at:
        return 0
    start, end = _horizon(series, now)
    days = [
        d
        for d in occurrence_days(series, start=start, end=end)
        if local_start(d, series.local_time, series.time_zone) > now
    ]
    existing = set(series.sessions.filter(occurrence__in=days).values_list("occurrence", flat=True))
    missing = [d for d in days if d not in existing]
    if not missing:
        _sync_invitations(series, now)
        return 0
    ReviewSession.objects.bulk_create(
        [
            ReviewSession(
                series=series,
                occurrence=day,
                starts_at=local_start(day, series.local_time, series.time_zone),
                title=series.title,
                agenda=series.agenda,
                time_zone=series.time_zone,
                duration_minutes=series.duration_minutes,
                place=series.place,
                video_link=series.video_link,
                facilitator_id=series.facilitator_id,
                created_by_id=series.created_by_id,
            )
            for day in missing
        ],
        ignore_conflicts=True,
    )
    session_ids = list(series.sessions.filter(occurrence__in=missing).values_list("pk", flat=True))
    Through = ReviewSession.definitions.through
    Through.objects.bulk_create(
        [
            Through(reviewsession_id=s, qualitydefinition_id=d)
            for s in session_ids
            for d in series.definitions.values_list("pk", flat=True)
        ],
        ignore_conflicts=True,
    )
    _sync_invitations(series, now)
    return len(missing)


def _sync_invitations(series: ReviewSeries, now: datetime) -> None:
    """Future occurrences invite the series' invitees as they are now: people who joined or moved into an invited
    department are invited, people who left or moved out lose their invitation. Past, cancelled and detached
    occurrences keep theirs (history, or an edit of their own)."""
    session_ids = list(future_occurrences(series, now).values_list("pk", flat=True))
    if not session_ids:
        return
    invited = _series_invitee_ids(series)
    Invitation.objects.filter(session_id__in=session_ids).exclude(person_id__in=invited).delete()
    _invite_ids(session_ids, invited)


def future_occurrences(series: ReviewSeries, now: datetime):
    """The occurrences a series edit changes: not yet started, not cancelled, not edited on their own."""
    return series.sessions.filter(starts_at__gt=now, cancelled_at__isnull=True, detached=False)


@transaction.atomic
def update_series(
    *, series: ReviewSeries, by: User, details: Details, pattern: Pattern, now: datetime | None = None
) -> int:
    """Change a series and its future occurrences only; past, cancelled and detached ones stay as they were.

    Future occurrences on days the new pattern no longer has are cancelled (their invitees are told); the others
    take the new details and time, people no longer invited lose their invitation, new invitees are invited, and
    those already e-mailed get the update. Returns how many occurrences changed.
    """
    now = now or timezone.now()
    _check_details(details)
    _apply(series, details, pattern)
    _save_series(series, details, now)
    start, end = _horizon(series, now)
    wanted = set(occurrence_days(series, start=start, end=end))
    future = list(future_occurrences(series, now))
    for session in future:
        if session.occurrence not in wanted:
            cancel_session(session=session, by=by, reason="The series was moved to other days.", now=now)
    kept = [s for s in future if s.occurrence in wanted]
    invited = _series_invitee_ids(series)
    moved = []
    for session in kept:
        new_start = local_start(session.occurrence, series.local_time, series.time_zone)
        if (new_start, series.place, series.video_link, series.duration_minutes) != (
            session.starts_at,
            session.place,
            session.video_link,
            session.duration_minutes,
        ):
            moved.append(session)
        session.starts_at = new_start
        for name in COPIED:
            setattr(session, name, getattr(series, name))
    ReviewSession.objects.bulk_update(kept, ["starts_at", *COPIED])
    # A moved session's calendar files must supersede the ones already sent: a higher SEQUENCE from now on.
    ReviewSession.objects.filter(pk__in=[s.pk for s in moved]).update(sequence=F("sequence") + 1)
    kept_ids = [s.pk for s in kept]
    Through = ReviewSession.definitions.through
    Through.objects.filter(reviewsession_id__in=kept_ids).delete()
    Through.objects.bulk_create(
        [Through(reviewsession_id=s, qualitydefinition_id=d.pk) for s in kept_ids for d in details.definitions]
    )
    Invitation.objects.filter(session_id__in=kept_ids).exclude(person_id__in=invited).delete()
    _invite_ids(kept_ids, invited)
    _notify_update(moved, now=now)
    extend_series(series=series, now=now)
    return len(kept)


def _notify_update(sessions: list[ReviewSession], *, now: datetime) -> None:
    """E-mail an updated calendar entry to invitees already invited by e-mail (the others get the new one)."""
    rows = Invitation.objects.filter(session__in=sessions, sent_at__isnull=False).select_related(
        "person", "session__facilitator"
    )
    for invitation in rows:
        message = invitation_message(invitation=invitation, kind="update")
        queue_email(**message, dedup_key=f"review-update:{invitation.pk}:{invitation.session.sequence}")


@transaction.atomic
def end_series(*, series: ReviewSeries, by: User, now: datetime | None = None) -> int:
    """Stop a series: no new occurrences; the future ones are cancelled and their invitees told."""
    now = now or timezone.now()
    series.ended_at = now
    series.save(update_fields=["ended_at"])
    future = list(future_occurrences(series, now))
    for session in future:
        cancel_session(session=session, by=by, reason="The series has ended.", now=now)
    return len(future)


@transaction.atomic
def cancel_session(*, session: ReviewSession, by: User, reason: str, now: datetime | None = None) -> int:
    """Cancel a session that has not started: invitees already e-mailed get a cancellation (with a calendar
    CANCEL), the others are never e-mailed. Returns the number of cancellations queued.

    Raises RuleViolation when the session is cancelled already or has started.
    """
    now = now or timezone.now()
    claimed = ReviewSession.objects.filter(pk=session.pk, cancelled_at__isnull=True, starts_at__gt=now).update(
        cancelled_at=now, cancel_reason=reason[:300], sequence=F("sequence") + 1
    )
    if not claimed:
        session.refresh_from_db()
        if session.cancelled_at:
            raise RuleViolation("This session is cancelled already.")
        raise RuleViolation("This session has started or taken place; it can no longer be cancelled.")
    session.refresh_from_db(fields=["cancelled_at", "cancel_reason", "sequence"])
    # People not e-mailed yet never hear of it: their invitation is claimed as if sent.
    unsent = list(session.invitations.filter(sent_at__isnull=True).values_list("pk", flat=True))
    Invitation.objects.filter(pk__in=unsent, sent_at__isnull=True).update(sent_at=now)
    queued = 0
    rows = session.invitations.exclude(pk__in=unsent).select_related("person", "session__facilitator")
    for invitation in rows:
        invitation.session = session
        message = invitation_message(invitation=invitation, kind="cancel")
        queue_email(**message, dedup_key=f"review-cancel:{invitation.pk}")
        queued += 1
    return queued


# --- answers -----------------------------------------------------------------------------------------------------


@transaction.atomic
def respond(*, invitation: Invitation, person: User, response: str, now: datetime | None = None) -> Invitation:
    """The invitee accepts or declines. Raises RuleViolation for someone else, an unknown answer, or a session
    that is cancelled or has started."""
    now = now or timezone.now()
    if invitation.person_id != person.pk:
        raise RuleViolation("Only the person invited can answer this invitation.")
    if response not in ANSWERS:
        raise RuleViolation("Answer with accept or decline.")
    session = invitation.session
    if session.cancelled_at:
        raise RuleViolation("This session was cancelled; there is nothing to answer.")
    if session.starts_at <= now:
        raise RuleViolation("This session has started or taken place; answers are closed.")
    invitation.response, invitation.responded_at = response, now
    invitation.save(update_fields=["response", "responded_at"])
    return invitation


def response_token(invitation: Invitation, response: str) -> str:
    """A signed token for the e-mail link: it answers this one invitation, with this answer, and nothing else."""
    return signing.TimestampSigner(salt=RESPONSE_SALT).sign(f"{invitation.pk}:{response}")


def read_response_token(token: str) -> tuple[int, str]:
    """(invitation id, response) from a token; RuleViolation for a forged, altered or expired one."""
    try:
        value = signing.TimestampSigner(salt=RESPONSE_SALT).unsign(token, max_age=RESPONSE_LINK_MAX_AGE)
        pk, response = value.split(":")
        return int(pk), response
    except signing.SignatureExpired:
        raise RuleViolation("This link has expired. Answer from the session's page in Keel instead.") from None
    except (signing.BadSignature, ValueError):
        raise RuleViolation(
            "This link is not valid; it may have been cut short. Answer from the session's page in Keel instead."
        ) from None


def response_url(invitation: Invitation, response: str) -> str:
    return settings.KEEL_SITE_URL + reverse("reviews:answer", args=[response_token(invitation, response)])


# --- the e-mails ---------------------------------------------------------------------------------------------

SUBJECTS = {
    "invite": "Invitation: {title}, {when}",
    "update": "Updated: {title}, {when}",
    "cancel": "Cancelled: {title}, {when}",
    "reminder": "Reminder: {title}, {when}",
    "no-response": "Please answer: {title}, {when}",
}


def when_text(session: ReviewSession) -> str:
    local = timezone.localtime(session.starts_at, zone(session.time_zone))
    end = local + timedelta(minutes=session.duration_minutes)
    return f"{local:%a %d %b %Y, %H:%M}–{end:%H:%M} ({session.time_zone})"


def invitation_message(*, invitation: Invitation, kind: str) -> dict:
    """to, subject, body and the .ics attachment for one invitee (kind: invite, update, cancel, reminder,
    no-response); the attachment carries the session's current SEQUENCE, whatever the kind."""
    session = invitation.session
    when = when_text(session)
    link = settings.KEEL_SITE_URL + session.get_absolute_url()
    lines = [f"Hello {invitation.person.first_name or invitation.person.username},", ""]
    if kind == "cancel":
        lines += [
            f"“{session.title}” on {when} is cancelled.",
            f"Reason: {session.cancel_reason}" if session.cancel_reason else "",
        ]
    else:
        intro = {
            "invite": "You are invited to a review session.",
            "update": "A review session you are invited to has changed.",
            "reminder": "A reminder of the review session you are invited to.",
            "no-response": "You have not answered this invitation yet.",
        }[kind]
        lines += [intro, "", f"{session.title}", f"When: {when}"]
        if session.place:
            lines.append(f"Where: {session.place}")
        if session.video_link:
            lines.append(f"Video link: {session.video_link}")
        lines.append(f"Facilitator: {session.facilitator}")
        if session.agenda:
            lines += ["", "Agenda:", session.agenda]
        lines += [
            "",
            f"Accept: {response_url(invitation, Invitation.Response.ACCEPTED)}",
            f"Decline: {response_url(invitation, Invitation.Response.DECLINED)}",
        ]
    lines += ["", f"The session in Keel: {link}"]
    calendar_file = ics.build(session=session, attendee=invitation.person, url=link)
    return {
        "to": invitation.person.email,
        "subject": SUBJECTS[kind].format(title=session.title, when=when),
        "body": "\n".join(lines).strip() + "\n",
        "attachments": [
            {
                "filename": "review-session.ics",
                "content": calendar_file,
                "mimetype": f"text/calendar; method={ics.method(session)}",
            }
        ],
    }


# --- during and after the session --------------------------------------------------------------------------------


def _check_started(session: ReviewSession, now: datetime, what: str) -> None:
    if session.cancelled_at:
        raise RuleViolation(f"This session was cancelled; there is no {what} to record.")
    if session.starts_at > now:
        raise RuleViolation(
            f"The {what} can be recorded once the session has started "
            f"({timezone.localtime(session.starts_at, zone(session.time_zone)):%d %b %Y, %H:%M})."
        )


@transaction.atomic
def take_attendance(
    *, session: ReviewSession, by: User, attended_ids: Iterable[int], now: datetime | None = None
) -> int:
    """Mark who attended (everyone else invited did not). Newly attending people are recorded as refreshed on the
    session's definitions; people un-marked lose that record. Returns how many attended."""
    now = now or timezone.now()
    _check_started(session, now, "attendance")
    attended = set(attended_ids)
    rows = list(session.invitations.values_list("person_id", "attended"))
    invited = {person for person, _a in rows}
    strangers = attended - invited
    if strangers:
        raise RuleViolation("Only invited people can be marked as attending; invite them first.")
    before = {person for person, was in rows if was}
    session.invitations.filter(person_id__in=attended).update(attended=True)
    session.invitations.exclude(person_id__in=attended).update(attended=False)
    done_at = session.starts_at + timedelta(minutes=session.duration_minutes)
    definition_ids = list(session.definitions.values_list("pk", flat=True))
    Completion.objects.filter(
        source=Completion.Source.SESSION,
        completed_at=done_at,
        person_id__in=before - attended,
        definition_id__in=definition_ids,
    ).delete()
    Completion.objects.bulk_create(
        [
            Completion(person_id=p, definition_id=d, completed_at=done_at, source=Completion.Source.SESSION)
            for p in sorted(attended - before)
            for d in definition_ids
        ]
    )
    return len(attended)


def save_minutes(*, session: ReviewSession, by: User, minutes: str, now: datetime | None = None) -> ReviewSession:
    """Record the session's minutes (once it has started)."""
    _check_started(session, now or timezone.now(), "minutes")
    session.minutes = minutes.strip()
    session.save(update_fields=["minutes"])
    return session


def add_action_item(
    *, session: ReviewSession, by: User, title: str, owner: User, due_date: date, now: datetime | None = None
) -> ActionItem:
    """An action agreed in the session, owned by one person, due on a day not before the session."""
    now = now or timezone.now()
    _check_started(session, now, "action items")
    if not owner.is_active:
        raise RuleViolation(f"{owner} has left; give the action to someone active.", field="owner")
    day = timezone.localtime(session.starts_at, zone(session.time_zone)).date()
    if due_date < day:
        raise RuleViolation(f"The due date must not be before the session ({day:%d %b %Y}).", field="due_date")
    item = ActionItem(session=session, title=title.strip(), owner=owner, due_date=due_date)
    _full_clean(item)
    item.save()
    return item


def complete_action_item(*, item: ActionItem, by: User, done: bool = True, now: datetime | None = None) -> ActionItem:
    """Mark an action done (or open again). The owner, the facilitator and admins may."""
    now = now or timezone.now()
    if by.pk not in (item.owner_id, item.session.facilitator_id) and not access.is_admin(by):
        raise RuleViolation("Only the action's owner or the session's facilitator can mark it done.")
    item.done_at = now if done else None
    item.save(update_fields=["done_at"])
    return item


# --- sending (called by the beat tasks) --------------------------------------------------------------------------

NO_RESPONSE_AFTER = timedelta(days=3)


@dataclass
class Sent:
    invitations: int = 0
    reminders: dict[str, int] = field(default_factory=dict)


def _to_send():
    """Invitations of upcoming, not cancelled sessions for active people with an address."""
    return (
        Invitation.objects.filter(session__cancelled_at__isnull=True, person__is_active=True)
        .exclude(person__email="")
        .select_related("person", "session__facilitator")
        .order_by("pk")
    )


def send_invitations(*, now: datetime | None = None, limit: int = 1000) -> int:
    """E-mail every invitation not sent yet, with its calendar file; returns how many were queued.

    Each is claimed by a conditional UPDATE of sent_at in the transaction that queues its e-mail: a concurrent
    or repeated run updates nothing and moves on, and a run killed mid-way rolls back the one it was on, which the
    next run sends. At most `limit` a run; the next run continues.
    """
    now = now or timezone.now()
    sent = 0
    for invitation in _to_send().filter(sent_at__isnull=True, session__starts_at__gt=now)[:limit]:
        with transaction.atomic():
            if not Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=True).update(sent_at=now):
                continue
            queue_email(
                **invitation_message(invitation=invitation, kind="invite"), dedup_key=f"review-invite:{invitation.pk}"
            )
            sent += 1
    return sent


def reminder_windows(now: datetime) -> list[tuple[str, datetime, datetime]]:
    """(kind, from, to): sessions starting in (from, to] get that reminder. Each offset's window ends where the
    next smaller one begins, so a session is only reminded by the nearest offset (a beat that was down for days
    sends one reminder, not all of them at once)."""
    windows, lower = [], now
    for days in sorted(set(settings.KEEL_REVIEW_REMINDER_DAYS)):
        if days <= 0:
            continue
        upper = now + timedelta(days=days)
        windows.append((f"before-{days}d", lower, upper))
        lower = upper
    return windows


def _claim_and_send(invitation: Invitation, kind: str) -> bool:
    """Insert the Reminder row (the claim) and queue its e-mail in one savepoint; False if it exists already."""
    try:
        with transaction.atomic():
            Reminder.objects.create(invitation=invitation, kind=kind)
            queue_email(
                **invitation_message(
                    invitation=invitation, kind="no-response" if kind == "no-response" else "reminder"
                ),
                dedup_key=f"review-reminder:{invitation.pk}:{kind}",
            )
    except IntegrityError:
        return False  # another run (or an earlier one) sent it
    return True


def send_reminders(*, now: datetime | None = None, limit: int = 1000) -> dict[str, int]:
    """Send each due reminder once per invitation and kind; returns how many of each kind were queued.

    before-Nd (KEEL_REVIEW_REMINDER_DAYS): to people who have not declined, for sessions starting within N days
    (the nearest offset only), when the invitation went out before that window opened; no-response: once, to
    people who have not answered NO_RESPONSE_AFTER after their invitation. The unique (invitation, kind) row is
    the claim: a second, concurrent or retried run finds it and sends nothing; candidates that have it are
    filtered out in the same query, so a repeat run costs one query per kind.
    """
    now = now or timezone.now()
    upcoming = _to_send().filter(sent_at__isnull=False, session__starts_at__gt=now)
    counts = {}
    for kind, lower, upper in reminder_windows(now):
        reminded = Reminder.objects.filter(invitation=OuterRef("pk"), kind=kind)
        rows = (
            upcoming.filter(
                session__starts_at__gt=lower,
                session__starts_at__lte=upper,
                sent_at__lt=F("session__starts_at") - (upper - now),
            )
            .exclude(response=Invitation.Response.DECLINED)
            .filter(~Exists(reminded))
        )
        counts[kind] = sum(_claim_and_send(invitation, kind) for invitation in rows[:limit])
    reminded = Reminder.objects.filter(invitation=OuterRef("pk"), kind="no-response")
    rows = upcoming.filter(response=Invitation.Response.PENDING, sent_at__lte=now - NO_RESPONSE_AFTER).filter(
        ~Exists(reminded)
    )
    counts["no-response"] = sum(_claim_and_send(invitation, "no-response") for invitation in rows[:limit])
    return counts


def send_due_emails(*, now: datetime | None = None) -> Sent:
    """What the beat task does every quarter hour: invitations first, then reminders."""
    now = now or timezone.now()
    return Sent(invitations=send_invitations(now=now), reminders=send_reminders(now=now))


def extend_all_series(*, now: datetime | None = None) -> int:
    """Make the missing occurrences of every running series; returns how many were made."""
    made = 0
    for series in ReviewSeries.objects.filter(ended_at__isnull=True).order_by("pk"):
        made += extend_series(series=series, now=now)
    return made
