"""Scheduling sessions and series: occurrence days across DST, future-only edits, cancelling, answers, attendance."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from outbox.models import OutgoingEmail
from reviews.models import ActionItem, Completion, Invitation, ReviewSeries, ReviewSession
from reviews.services import sessions as scheduling
from reviews.services.sessions import RuleViolation
from tests.org.factories import UserFactory
from tests.reviews.factories import (
    ActionItemFactory,
    ReviewSessionFactory,
    details,
    past,
    quarterly,
    schedule,
)

pytestmark = pytest.mark.django_db
NEW_YEAR = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def series_of(org, now=NEW_YEAR, **pattern):
    return scheduling.create_series(
        by=org.admin, details=details(org), pattern=quarterly(date(2026, 1, 1), **pattern), now=now
    )


def starts(series) -> list[datetime]:
    return list(series.sessions.order_by("starts_at").values_list("starts_at", flat=True))


# --- occurrence days ---------------------------------------------------------------------------------------------


def test_it_finds_every_first_tuesday_quarterly():
    series = ReviewSeries(week_of_month=1, weekday=1, every_months=3, first_month=date(2026, 1, 1))
    assert scheduling.occurrence_days(series, start=date(2026, 1, 1), end=date(2026, 12, 31)) == [
        date(2026, 1, 6),
        date(2026, 4, 7),
        date(2026, 7, 7),
        date(2026, 10, 6),
    ]


def test_it_finds_the_last_friday_of_every_month_until_the_end_day():
    series = ReviewSeries(
        week_of_month=-1, weekday=4, every_months=1, first_month=date(2026, 1, 1), until=date(2026, 3, 27)
    )
    assert scheduling.occurrence_days(series, start=date(2026, 1, 1), end=date(2026, 12, 31)) == [
        date(2026, 1, 30),
        date(2026, 2, 27),
        date(2026, 3, 27),
    ]


def test_it_starts_from_the_first_month_not_from_the_window():
    series = ReviewSeries(week_of_month=1, weekday=1, every_months=3, first_month=date(2026, 2, 1))
    assert scheduling.occurrence_days(series, start=date(2026, 3, 1), end=date(2026, 9, 30)) == [
        date(2026, 5, 5),
        date(2026, 8, 4),
    ]


@pytest.mark.parametrize("zone_name", ["Europe/Berlin", "America/New_York"])
def test_daylight_saving_changes_do_not_shift_the_local_time(org, zone_name):
    series = scheduling.create_series(
        by=org.admin,
        details=details(org, time_zone=zone_name),
        pattern=quarterly(date(2026, 2, 1), every_months=1),
        now=datetime(2026, 1, 15, tzinfo=UTC),
    )
    moments = starts(series)
    assert [m.date() for m in moments] == [date(2026, 2, 3), date(2026, 3, 3), date(2026, 4, 7), date(2026, 5, 5)]
    local = [timezone.localtime(m, ZoneInfo(zone_name)).time() for m in moments]
    assert local == [time(9, 30)] * 4
    # ...while the UTC time moves by the hour the clocks changed (late March in Europe, early March in the US).
    assert moments[0].astimezone(UTC).hour - moments[-1].astimezone(UTC).hour == 1


# --- series ------------------------------------------------------------------------------------------------------


def test_a_series_creates_its_occurrences_for_the_horizon_with_invitations(org, settings):
    settings.KEEL_REVIEW_SERIES_HORIZON_DAYS = 120
    series = series_of(org)
    assert [s.occurrence for s in series.sessions.order_by("occurrence")] == [date(2026, 1, 6), date(2026, 4, 7)]
    session = series.sessions.first()
    assert session.title == "Quality review" and session.facilitator == org.alice
    assert timezone.localtime(session.starts_at, BERLIN).time() == time(9, 30)
    invited = set(Invitation.objects.filter(session=session).values_list("person__username", flat=True))
    assert invited == {"alice", "bob"}  # Support and Front Line below it; never charlie of Sales
    assert list(session.definitions.all()) == list(series.definitions.all())


def test_extending_a_series_twice_adds_nothing_the_second_time(org):
    series = series_of(org)
    count = series.sessions.count()
    assert scheduling.extend_series(series=series, now=NEW_YEAR) == 0
    assert scheduling.extend_series(series=series, now=NEW_YEAR + timedelta(days=100)) == 1  # July's now in reach
    assert series.sessions.count() == count + 1
    assert Invitation.objects.filter(session__series=series).count() == 2 * (count + 1)


def test_an_edit_changes_only_future_occurrences(org):
    series = series_of(org)
    january, april = series.sessions.order_by("starts_at")
    now = datetime(2026, 2, 1, tzinfo=UTC)  # January's has taken place
    scheduling.update_series(
        series=series,
        by=org.admin,
        details=details(org, title="Quality review (new format)", departments=[org.sales]),
        pattern=quarterly(date(2026, 1, 1), local_time=time(14, 0)),
        now=now,
    )
    january.refresh_from_db()
    april.refresh_from_db()
    assert january.title == "Quality review" and timezone.localtime(january.starts_at, BERLIN).time() == time(9, 30)
    assert april.title == "Quality review (new format)"
    assert timezone.localtime(april.starts_at, BERLIN).time() == time(14, 0)
    assert set(january.invitations.values_list("person__username", flat=True)) == {"alice", "bob"}
    assert set(april.invitations.values_list("person__username", flat=True)) == {"charlie"}


def test_an_edit_leaves_detached_and_cancelled_occurrences_alone(org):
    series = series_of(org, now=NEW_YEAR)
    january, april = series.sessions.order_by("starts_at")
    ReviewSession.objects.filter(pk=april.pk).update(detached=True, title="Special")
    scheduling.update_series(
        series=series,
        by=org.admin,
        details=details(org, title="Renamed"),
        pattern=quarterly(date(2026, 1, 1)),
        now=NEW_YEAR,
    )
    january.refresh_from_db()
    april.refresh_from_db()
    assert (january.title, april.title) == ("Renamed", "Special")


def test_moving_a_series_to_other_days_cancels_the_future_ones_it_no_longer_has(org):
    series = series_of(org)
    scheduling.update_series(
        series=series, by=org.admin, details=details(org), pattern=quarterly(date(2026, 1, 1), weekday=3), now=NEW_YEAR
    )  # Thursdays now
    live = series.sessions.filter(cancelled_at__isnull=True).order_by("occurrence")
    assert [s.occurrence for s in live] == [date(2026, 4, 2)]  # 1 January's 09:30 had passed
    assert series.sessions.filter(cancelled_at__isnull=False).count() == 2


def test_a_time_change_sends_an_update_to_people_already_invited(org):
    series = series_of(org)
    Invitation.objects.filter(session__series=series).update(sent_at=NEW_YEAR)
    scheduling.update_series(
        series=series,
        by=org.admin,
        details=details(org),
        pattern=quarterly(date(2026, 1, 1), local_time=time(15, 0)),
        now=NEW_YEAR,
    )
    updates = OutgoingEmail.objects.filter(subject__startswith="Updated: ")
    assert updates.count() == 4  # two occurrences, alice and bob
    assert "15:00" in updates.first().subject


# --- single sessions and bad input ---------------------------------------------------------------------------------


def test_it_schedules_a_session_and_invites_departments_and_people(org):
    session = schedule(org, departments=[org.front_line], people=[org.charlie])
    assert set(session.invitations.values_list("person__username", flat=True)) == {"bob", "charlie"}
    assert session.invitations.filter(response=Invitation.Response.PENDING).count() == 2


def test_it_invites_only_active_people(org):
    UserFactory(username="gone", department=org.front_line, is_active=False)
    session = schedule(org, departments=[org.front_line])
    assert list(session.invitations.values_list("person__username", flat=True)) == ["bob"]


@pytest.mark.parametrize(
    ("overrides", "days", "field", "message"),
    [
        ({}, -1, "date", "in the past"),
        ({"departments": [], "people": []}, 7, "people", "Invite at least one person"),
        ({"place": "", "video_link": ""}, 7, "place", "a room, or a video link"),
        ({"definitions": []}, 7, "definitions", "quality definitions"),
        ({"time_zone": "Mars/Olympus"}, 7, "time_zone", "not a time zone"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(org, overrides, days, field, message):
    with pytest.raises(RuleViolation, match=message) as refused:
        schedule(org, days=days, **overrides)
    assert refused.value.field == field
    assert ReviewSession.objects.count() == 0 and Invitation.objects.count() == 0


def test_a_department_with_nobody_active_is_an_empty_invitee_list(org):
    with pytest.raises(RuleViolation, match="Invite at least one person"):
        schedule(org, departments=[org.acme.__class__.objects.create(name="Empty", code="empty", parent=org.acme)])


def test_an_end_before_the_start_is_refused():
    with pytest.raises(RuleViolation, match=r"end after it starts \(it starts at 10:00, ends at 09:00\)"):
        scheduling.duration_between(time(10, 0), time(9, 0))
    assert scheduling.duration_between(time(9, 0), time(10, 30)) == 90


def test_a_series_ending_in_the_past_is_refused(org):
    with pytest.raises(RuleViolation, match="end in the past"):
        series_of(org, until=date(2025, 12, 1))
    assert ReviewSeries.objects.count() == 0


# --- cancelling --------------------------------------------------------------------------------------------------


def test_cancelling_notifies_every_invitee_already_invited(org):
    session = schedule(org)
    scheduling.send_invitations()
    assert scheduling.cancel_session(session=session, by=org.admin, reason="The room flooded.") == 2
    cancellations = OutgoingEmail.objects.filter(subject__startswith="Cancelled: ")
    assert sorted(cancellations.values_list("to", flat=True)) == ["alice@example.com", "bob@example.com"]
    email = cancellations.first()
    assert "The room flooded." in email.body
    assert "METHOD:CANCEL" in email.attachments[0]["content"]
    assert "STATUS:CANCELLED" in email.attachments[0]["content"]


def test_cancelling_before_the_invitations_went_out_sends_nothing_at_all(org):
    session = schedule(org)
    assert scheduling.cancel_session(session=session, by=org.admin, reason="") == 0
    assert scheduling.send_invitations() == 0
    assert OutgoingEmail.objects.count() == 0


def test_a_session_is_cancelled_once(org):
    session = schedule(org)
    scheduling.cancel_session(session=session, by=org.admin, reason="")
    with pytest.raises(RuleViolation, match="cancelled already"):
        scheduling.cancel_session(session=session, by=org.admin, reason="")


def test_a_past_session_cannot_be_cancelled(org):
    session = past(schedule(org))
    with pytest.raises(RuleViolation, match="can no longer be cancelled"):
        scheduling.cancel_session(session=session, by=org.admin, reason="")


# --- answers -----------------------------------------------------------------------------------------------------


def test_the_invitee_accepts(org):
    invitation = schedule(org).invitations.get(person=org.bob)
    scheduling.respond(invitation=invitation, person=org.bob, response="accepted")
    invitation.refresh_from_db()
    assert invitation.response == "accepted" and invitation.responded_at is not None


@pytest.mark.parametrize(
    ("who", "response", "message"),
    [
        ("charlie", "accepted", "Only the person invited"),
        ("bob", "maybe", "accept or decline"),
        ("bob", "pending", "accept or decline"),
    ],
)
def test_a_wrong_answer_is_refused(org, who, response, message):
    invitation = schedule(org).invitations.get(person=org.bob)
    with pytest.raises(RuleViolation, match=message):
        scheduling.respond(invitation=invitation, person=getattr(org, who), response=response)
    invitation.refresh_from_db()
    assert invitation.response == "pending"


def test_a_cancelled_session_takes_no_answers(org):
    session = schedule(org)
    scheduling.cancel_session(session=session, by=org.admin, reason="")
    with pytest.raises(RuleViolation, match="cancelled"):
        scheduling.respond(invitation=session.invitations.get(person=org.bob), person=org.bob, response="accepted")


def test_a_response_link_answers_only_its_own_invitation(org):
    invitation = schedule(org).invitations.get(person=org.bob)
    token = scheduling.response_token(invitation, "declined")
    assert scheduling.read_response_token(token) == (invitation.pk, "declined")
    with pytest.raises(RuleViolation, match="not valid"):
        scheduling.read_response_token(token.replace(f"{invitation.pk}:declined", f"{invitation.pk}:accepted"))


def test_an_expired_response_link_says_so(org, monkeypatch):
    invitation = schedule(org).invitations.get(person=org.bob)
    token = scheduling.response_token(invitation, "accepted")
    monkeypatch.setattr(scheduling, "RESPONSE_LINK_MAX_AGE", timedelta(seconds=-1))
    with pytest.raises(RuleViolation, match="expired"):
        scheduling.read_response_token(token)


# --- attendance, minutes and actions -------------------------------------------------------------------------------


def test_attendance_is_recorded_and_counts_as_a_refresher(org):
    session = past(schedule(org))
    scheduling.take_attendance(session=session, by=org.alice, attended_ids=[org.bob.pk])
    assert dict(session.invitations.values_list("person__username", "attended")) == {"alice": False, "bob": True}
    assert Completion.objects.filter(person=org.bob, source="session").count() == 1
    scheduling.take_attendance(session=session, by=org.alice, attended_ids=[org.bob.pk])  # again: no duplicate
    assert Completion.objects.filter(person=org.bob, source="session").count() == 1
    scheduling.take_attendance(session=session, by=org.alice, attended_ids=[])
    assert Completion.objects.filter(source="session").count() == 0


def test_attendance_waits_for_the_session_and_names_only_invitees(org):
    session = schedule(org)
    with pytest.raises(RuleViolation, match="once the session has started"):
        scheduling.take_attendance(session=session, by=org.alice, attended_ids=[org.bob.pk])
    past(session)
    with pytest.raises(RuleViolation, match="Only invited people"):
        scheduling.take_attendance(session=session, by=org.alice, attended_ids=[org.charlie.pk])
    assert not session.invitations.filter(attended__isnull=False).exists()


def test_minutes_and_action_items_are_recorded(org):
    session = past(schedule(org))
    scheduling.save_minutes(session=session, by=org.alice, minutes="  We agreed on two actions.  ")
    item = scheduling.add_action_item(
        session=session,
        by=org.alice,
        title="Update the reply templates",
        owner=org.bob,
        due_date=date.today() + timedelta(days=10),
    )
    session.refresh_from_db()
    assert session.minutes == "We agreed on two actions."
    assert item.owner == org.bob and item.done_at is None


def test_an_action_due_before_the_session_is_refused(org):
    session = past(schedule(org), days=2)
    with pytest.raises(RuleViolation, match="must not be before the session") as refused:
        scheduling.add_action_item(
            session=session, by=org.alice, title="Late", owner=org.bob, due_date=date.today() - timedelta(days=10)
        )
    assert refused.value.field == "due_date"
    assert ActionItem.objects.count() == 0


def test_the_owner_completes_an_action_and_others_cannot(org):
    session = ReviewSessionFactory(facilitator=org.alice)
    item = ActionItemFactory(session=session, owner=org.bob)
    with pytest.raises(RuleViolation, match="owner or the session's facilitator"):
        scheduling.complete_action_item(item=item, by=org.charlie)
    scheduling.complete_action_item(item=item, by=org.bob)
    item.refresh_from_db()
    assert item.done_at is not None
