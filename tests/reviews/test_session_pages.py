"""Review session pages: who may see and do what (every URL has its denial), forms with clear errors, query counts."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core import today
from reviews.models import ActionItem, Invitation, ReviewSeries, ReviewSession
from reviews.services import sessions as scheduling
from tests.goals.factories import QualityDefinitionFactory
from tests.helpers import signed_in
from tests.org.factories import UserFactory
from tests.reviews.factories import ActionItemFactory, ReviewSessionFactory, past

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(org):
    """Facilitated by alice (who manages Support), bob invited; charlie of Sales is an outsider."""
    return ReviewSessionFactory(title="Support review", facilitator=org.alice, invite=[org.bob])


def form_data(org, **overrides) -> dict:
    definition = QualityDefinitionFactory(department=org.support)
    day = (timezone.localdate() + timedelta(days=10)).isoformat()
    data = {
        "title": "Ticket review",
        "definitions": [definition.pk],
        "date": day,
        "start_time": "09:00",
        "end_time": "10:30",
        "time_zone": "Europe/Berlin",
        "place": "Room 4",
        "video_link": "",
        "facilitator": org.alice.pk,
        "agenda": "Figures",
        "departments": [org.support.pk],
        "people": [],
    }
    data.update(overrides)
    return data


def series_data(org, **overrides) -> dict:
    data = form_data(
        org, week_of_month=1, weekday=1, every_months=3, first_month=timezone.localdate().strftime("%Y-%m"), until=""
    )
    data.pop("date")
    data.update(overrides)
    return data


# --- index -------------------------------------------------------------------------------------------------------


def test_anonymous_people_are_sent_to_sign_in(client, session):
    for url in (reverse("reviews:index"), reverse("reviews:session", args=[session.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_invitee_sees_the_session_with_accept_and_decline(client, org, session):
    response = signed_in(client, org.bob).get(reverse("reviews:index"))
    assert response.status_code == 200
    assert session.title in response.text and "Not answered" in response.text
    assert f'action="{reverse("reviews:respond", args=[session.pk])}"' in response.text


def test_an_outsider_does_not_see_the_session_in_the_list(client, org, session):
    response = signed_in(client, org.charlie).get(reverse("reviews:index"))
    assert response.status_code == 200 and session.title not in response.text
    assert reverse("reviews:schedule") not in response.text


def test_admins_see_every_session_and_the_scheduling_buttons(client, org, session):
    response = signed_in(client, org.admin).get(reverse("reviews:index"))
    assert session.title in response.text and reverse("reviews:schedule") in response.text


@pytest.mark.parametrize("sessions", [2, 12])
def test_the_index_needs_the_same_queries_for_any_number_of_sessions(
    client, org, sessions, django_assert_max_num_queries
):
    for n in range(sessions):
        s = ReviewSessionFactory(facilitator=org.alice, invite=[org.bob, org.alice])
        if n % 2:
            past(s)
    signed_in(client, org.alice)
    # session, user, alice's managed departments (visible_sessions), upcoming sessions, past sessions (each with
    # counts and alice's own answer as subqueries), and alice's department (the layout's user menu).
    with django_assert_max_num_queries(6):
        response = client.get(reverse("reviews:index"))
    assert response.status_code == 200


# --- detail and calendar file --------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["bob", "alice", "admin"])
def test_invitee_facilitator_and_admin_see_the_session(client, org, session, who):
    assert signed_in(client, getattr(org, who)).get(session.get_absolute_url()).status_code == 200


def test_an_outsider_cannot_see_the_session(client, org, session):
    assert signed_in(client, org.charlie).get(session.get_absolute_url()).status_code == 404


def test_the_invitee_does_not_see_other_invitees_answers(client, org, session):
    Invitation.objects.create(session=session, person=UserFactory(username="dora", first_name="Dora"))
    response = signed_in(client, org.bob).get(session.get_absolute_url())
    assert "Dora" not in response.text and "Your invitation" in response.text


def test_the_facilitator_sees_everyones_answers(client, org, session):
    response = signed_in(client, org.alice).get(session.get_absolute_url())
    assert "Bob Baker" in response.text and "1 not answered" in response.text


@pytest.mark.parametrize("invitees", [2, 20])
def test_the_detail_page_needs_the_same_queries_for_any_number_of_invitees(
    client, org, invitees, django_assert_max_num_queries
):
    people = [org.bob] + [UserFactory(department=org.front_line) for _n in range(invitees - 1)]
    session = past(ReviewSessionFactory(facilitator=org.alice, invite=people))
    for person in people[:3]:
        ActionItemFactory(session=session, owner=person)
    signed_in(client, org.alice)
    # session, user, managed departments, the session (with facilitator and series), may-edit, the invitations
    # with people and departments (alice's own among them), definitions with departments, action items with
    # owners, and alice's department (the layout's user menu).
    with django_assert_max_num_queries(9):
        response = client.get(session.get_absolute_url())
    assert response.status_code == 200 and "Who attended" in response.text


def test_the_calendar_file_downloads_for_those_who_see_the_session(client, org, session):
    response = signed_in(client, org.bob).get(reverse("reviews:session_ics", args=[session.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    assert b"SUMMARY:Support review" in response.content


def test_an_outsider_cannot_download_the_calendar_file(client, org, session):
    assert signed_in(client, org.charlie).get(reverse("reviews:session_ics", args=[session.pk])).status_code == 404


# --- answering ---------------------------------------------------------------------------------------------------


def test_the_invitee_accepts_from_the_page(client, org, session):
    url = reverse("reviews:respond", args=[session.pk])
    response = signed_in(client, org.bob).post(url, {"response": "accepted", "next": "/"}, follow=True)
    assert Invitation.objects.get(session=session, person=org.bob).response == "accepted"
    assert "Accepted: Support review" in response.text


def test_answering_is_post_only(client, org, session):
    assert signed_in(client, org.bob).get(reverse("reviews:respond", args=[session.pk])).status_code == 405


def test_someone_not_invited_is_told_there_is_nothing_to_answer(client, org, session):
    """alice facilitates and manages bob: she sees the session, but she is not invited to it."""
    response = signed_in(client, org.alice).post(
        reverse("reviews:respond", args=[session.pk]), {"response": "accepted"}, follow=True
    )
    assert "You are not invited to this session" in response.text
    assert not Invitation.objects.filter(person=org.alice).exists()


def test_an_outsider_cannot_answer(client, org, session):
    response = signed_in(client, org.charlie).post(
        reverse("reviews:respond", args=[session.pk]), {"response": "accepted"}
    )
    assert response.status_code == 404


def test_a_bad_answer_is_refused_with_a_message(client, org, session):
    response = signed_in(client, org.bob).post(
        reverse("reviews:respond", args=[session.pk]), {"response": "maybe"}, follow=True
    )
    assert "Answer with accept or decline" in response.text
    assert Invitation.objects.get(person=org.bob).response == "pending"


def test_the_email_link_answers_without_signing_in_but_only_on_post(client, org, session):
    invitation = session.invitations.get(person=org.bob)
    url = reverse("reviews:answer", args=[scheduling.response_token(invitation, "declined")])
    page = client.get(url)
    assert page.status_code == 200 and "Decline the invitation" in page.text
    assert Invitation.objects.get(pk=invitation.pk).response == "pending"  # a mail scanner's GET changes nothing
    done = client.post(url)
    assert done.status_code == 200 and "you have declined" in done.text
    assert Invitation.objects.get(pk=invitation.pk).response == "declined"


def test_a_broken_email_link_gets_a_friendly_page(client, org, session):
    invitation = session.invitations.get(person=org.bob)
    token = scheduling.response_token(invitation, "accepted")
    for bad in (token[:-3] + "xyz", "nonsense", token.replace(f"{invitation.pk}:", f"{invitation.pk + 1}:")):
        response = client.post(reverse("reviews:answer", args=[bad]))
        assert response.status_code == 400 and "This link does not work" in response.text
    assert Invitation.objects.get(pk=invitation.pk).response == "pending"


def test_the_email_link_of_a_cancelled_session_says_so(client, org, session):
    invitation = session.invitations.get(person=org.bob)
    scheduling.cancel_session(session=session, by=org.admin, reason="")
    response = client.post(reverse("reviews:answer", args=[scheduling.response_token(invitation, "accepted")]))
    assert response.status_code == 400 and "was cancelled" in response.text


# --- scheduling (admins only) --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["reviews:schedule", "reviews:series_create"])
@pytest.mark.parametrize("who", ["alice", "bob", "charlie"])
def test_only_admins_schedule(client, org, name, who):
    client = signed_in(client, getattr(org, who))
    assert client.get(reverse(name)).status_code == 404
    assert client.post(reverse(name), form_data(org)).status_code == 404
    assert ReviewSession.objects.count() == 0


def test_an_admin_schedules_a_session(client, org):
    response = signed_in(client, org.admin).post(reverse("reviews:schedule"), form_data(org, people=[org.charlie.pk]))
    session = ReviewSession.objects.get()
    assert response.status_code == 302 and response["Location"] == session.get_absolute_url()
    assert session.duration_minutes == 90
    assert timezone.localtime(session.starts_at, scheduling.zone("Europe/Berlin")).strftime("%H:%M") == "09:00"
    assert set(session.invitations.values_list("person__username", flat=True)) == {"alice", "bob", "charlie"}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"date": "yesterday"}, "date", "This is in the past"),
        ({"end_time": "08:00"}, "end_time", "must end after it starts (it starts at 09:00, ends at 08:00)"),
        ({"departments": [], "people": []}, "people", "Invite at least one department or person"),
        ({"place": "", "video_link": ""}, "place", "a room, or a video link"),
        ({"definitions": []}, "definitions", "Choose the quality definitions"),
    ],
)
def test_bad_schedules_show_the_error_on_the_field_and_save_nothing(client, org, overrides, field, message):
    if overrides.get("date") == "yesterday":  # worked out when the test runs, on the suite's clock
        overrides = {"date": (timezone.localdate() - timedelta(days=1)).isoformat()}
    response = signed_in(client, org.admin).post(reverse("reviews:schedule"), form_data(org, **overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert 'value="Ticket review"' in response.text  # nothing typed is lost
    assert ReviewSession.objects.count() == 0 and Invitation.objects.count() == 0


def test_a_department_without_active_people_is_refused_by_the_service(client, org):
    empty = org.acme.__class__.objects.create(name="Empty", code="empty", parent=org.acme)
    response = signed_in(client, org.admin).post(reverse("reviews:schedule"), form_data(org, departments=[empty.pk]))
    assert "Invite at least one person" in " ".join(response.context["form"].errors["people"])
    assert ReviewSession.objects.count() == 0


def test_an_admin_creates_a_series_and_lands_on_its_occurrences(client, org):
    response = signed_in(client, org.admin).post(reverse("reviews:series_create"), series_data(org), follow=True)
    series = ReviewSeries.objects.get()
    assert response.redirect_chain[-1][0] == reverse("reviews:series", args=[series.pk])
    assert series.sessions.count() >= 1
    assert "First Tuesday, quarterly, 09:00 Europe/Berlin" in response.text


# --- series pages ------------------------------------------------------------------------------------------------


@pytest.fixture
def series(org):
    return scheduling.create_series(
        by=org.admin,
        details=scheduling.Details(
            title="Quarterly",
            facilitator=org.alice,
            time_zone="Europe/Berlin",
            duration_minutes=60,
            place="Room",
            definitions=[QualityDefinitionFactory()],
            departments=[org.support],
        ),
        pattern=scheduling.Pattern(
            week_of_month=1,
            weekday=1,
            every_months=3,
            first_month=timezone.localdate().replace(day=1),
            local_time=timezone.datetime(2000, 1, 1, 9, 0).time(),
        ),
    )


@pytest.mark.parametrize("who", ["alice", "bob", "charlie"])
def test_only_admins_see_and_change_series(client, org, series, who):
    client = signed_in(client, getattr(org, who))
    assert client.get(reverse("reviews:series", args=[series.pk])).status_code == 404
    assert client.get(reverse("reviews:series_edit", args=[series.pk])).status_code == 404
    assert client.post(reverse("reviews:series_edit", args=[series.pk]), series_data(org)).status_code == 404
    assert client.post(reverse("reviews:series_end", args=[series.pk]), {"confirmed": "yes"}).status_code == 404
    series.refresh_from_db()
    assert series.ended_at is None and series.title == "Quarterly"


def test_a_refused_series_looks_like_a_missing_one(client, org, series):
    client = signed_in(client, org.charlie)
    refused = client.get(reverse("reviews:series", args=[series.pk]))
    missing = client.get(reverse("reviews:series", args=[series.pk + 1000]))
    assert refused.status_code == missing.status_code == 404


def test_an_admin_edits_a_series_and_future_sessions_follow(client, org, series):
    client = signed_in(client, org.admin)
    assert client.get(reverse("reviews:series_edit", args=[series.pk])).status_code == 200
    response = client.post(
        reverse("reviews:series_edit", args=[series.pk]),
        series_data(org, title="Quarterly (new)", start_time="14:00", end_time="15:00"),
    )
    assert response.status_code == 302
    assert set(series.sessions.filter(cancelled_at__isnull=True).values_list("title", flat=True)) == {"Quarterly (new)"}


def test_an_admin_ends_a_series_after_seeing_what_it_cancels(client, org, series):
    client = signed_in(client, org.admin)
    ahead = series.sessions.filter(cancelled_at__isnull=True).count()
    html = client.post(reverse("reviews:series_end", args=[series.pk])).content.decode()
    assert f"{ahead} session{'s' if ahead != 1 else ''} ahead {'are' if ahead != 1 else 'is'} cancelled." in html
    assert "already invited" in html and "e-mailed a cancellation" in html
    series.refresh_from_db()
    assert series.ended_at is None  # the first POST only asks
    response = client.post(reverse("reviews:series_end", args=[series.pk]), {"confirmed": "yes"}, follow=True)
    assert f"{ahead} future session{'s' if ahead != 1 else ''} cancelled" in response.content.decode()
    series.refresh_from_db()
    assert series.ended_at and not series.sessions.filter(cancelled_at__isnull=True).exists()


# --- cancelling --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "bob", "charlie"])
def test_only_admins_cancel(client, org, session, who):
    client = signed_in(client, getattr(org, who))
    assert client.get(reverse("reviews:cancel", args=[session.pk])).status_code == 404
    assert client.post(reverse("reviews:cancel", args=[session.pk]), {"reason": "x"}).status_code == 404
    session.refresh_from_db()
    assert session.cancelled_at is None


def test_an_admin_cancels_with_a_reason(client, org, session):
    response = signed_in(client, org.admin).post(
        reverse("reviews:cancel", args=[session.pk]), {"reason": "The room flooded."}, follow=True
    )
    session.refresh_from_db()
    assert session.cancelled_at and session.cancel_reason == "The room flooded."
    assert "The room flooded." in response.text


def test_cancelling_twice_shows_why_not(client, org, session):
    scheduling.cancel_session(session=session, by=org.admin, reason="")
    response = signed_in(client, org.admin).post(reverse("reviews:cancel", args=[session.pk]), {"reason": ""})
    assert response.status_code == 400 and "cancelled already" in response.text


# --- after the session: attendance, minutes, actions ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["reviews:attendance", "reviews:minutes", "reviews:action_add"])
@pytest.mark.parametrize("who", ["bob", "charlie"])
def test_only_the_facilitator_and_admins_record_the_session(client, org, session, name, who):
    past(session)
    data = {
        "attended": [org.bob.pk],
        "minutes": "Hijacked",
        "title": "x",
        "owner": org.bob.pk,
        "due_date": date.today().isoformat(),
    }
    assert signed_in(client, getattr(org, who)).post(reverse(name, args=[session.pk]), data).status_code == 404
    session.refresh_from_db()
    assert session.minutes == "" and not ActionItem.objects.exists()
    assert not session.invitations.filter(attended__isnull=False).exists()


def test_the_facilitator_takes_attendance_writes_minutes_and_adds_an_action(client, org, session):
    past(session)
    client = signed_in(client, org.alice)
    assert client.post(reverse("reviews:attendance", args=[session.pk]), {"attended": [org.bob.pk]}).status_code == 302
    assert client.post(reverse("reviews:minutes", args=[session.pk]), {"minutes": "Agreed."}).status_code == 302
    due = (date.today() + timedelta(days=14)).isoformat()
    response = client.post(
        reverse("reviews:action_add", args=[session.pk]),
        {"title": "Update templates", "owner": org.bob.pk, "due_date": due},
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.invitations.get(person=org.bob).attended is True and session.minutes == "Agreed."
    assert ActionItem.objects.get().owner == org.bob


def test_an_action_due_before_the_session_shows_the_error_on_the_form(client, org, session):
    past(session, days=3)
    response = signed_in(client, org.alice).post(
        reverse("reviews:action_add", args=[session.pk]),
        {"title": "Too late", "owner": org.bob.pk, "due_date": (date.today() - timedelta(days=30)).isoformat()},
    )
    assert response.status_code == 400 and "must not be before the session" in response.text
    assert 'value="Too late"' in response.text and not ActionItem.objects.exists()


def test_attendance_before_the_session_is_not_offered(client, org, session):
    response = signed_in(client, org.alice).post(
        reverse("reviews:attendance", args=[session.pk]), {"attended": [org.bob.pk]}
    )
    assert response.status_code == 400 and "once the session has started" in response.text


@pytest.mark.parametrize("who", ["charlie", "alice_not_facilitator"])
def test_only_the_owner_facilitator_or_admin_marks_an_action_done(client, org, who):
    session = ReviewSessionFactory(facilitator=org.admin, invite=[org.bob])
    item = ActionItemFactory(session=session, owner=org.bob)
    user = org.charlie if who == "charlie" else org.alice
    assert signed_in(client, user).post(reverse("reviews:action_done", args=[item.pk])).status_code == 404
    item.refresh_from_db()
    assert item.done_at is None


def test_the_owner_marks_an_action_done(client, org, session):
    item = ActionItemFactory(session=session, owner=org.bob)
    response = signed_in(client, org.bob).post(reverse("reviews:action_done", args=[item.pk]), {"next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    item.refresh_from_db()
    assert item.done_at is not None


# --- Today -------------------------------------------------------------------------------------------------------


def test_today_shows_invitations_to_answer_and_open_actions(client, org, session):
    ActionItemFactory(session=session, owner=org.bob, title="Update the reply templates")
    response = signed_in(client, org.bob).get(reverse("today"))
    assert 'id="today-reviews"' in response.text
    assert "1 invitation waiting for your answer" in response.text
    assert "Update the reply templates" in response.text


def test_today_says_nothing_when_nothing_is_waiting(rf, org):
    request = rf.get("/")
    request.user = org.charlie
    sections = {s["key"] for s in today.sections_for(request)}
    assert "reviews" not in sections


def test_sessions_come_with_my_answer_and_the_counts(org, session):
    Invitation.objects.filter(session=session, person=org.bob).update(response=Invitation.Response.ACCEPTED)
    mine = ReviewSession.objects.with_answer_of(org.bob).get(pk=session.pk)
    assert (mine.my_response, mine.invited, mine.accepted) == ("accepted", 1, 1)
    theirs = ReviewSession.objects.with_answer_of(org.charlie).get(pk=session.pk)
    assert (theirs.my_response, theirs.invited, theirs.accepted) == (None, 1, 1)


def test_the_cancel_page_says_how_many_people_are_told(client, org, session):
    told = session.invitations.filter(sent_at__isnull=False).count()
    html = signed_in(client, org.admin).get(reverse("reviews:cancel", args=[session.pk])).text
    assert "data-confirmation" in html and "Keep it" in html
    assert f"{told} {'person' if told == 1 else 'people'} already invited" in html
    assert "not e-mailed yet never hear" in html
