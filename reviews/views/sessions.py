"""Pages of review sessions: scheduling, invitations, attendance, minutes and action items."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core import confirmation
from core.confirmation import Confirmation
from core.exceptions import RuleViolation
from core.forms import form_errors_from, message_from
from core.redirects import safe_target
from org import access
from reviews import ics
from reviews.forms.sessions import ActionItemForm, AttendanceForm, CancelForm, MinutesForm, SeriesForm, SessionForm
from reviews.models import ActionItem, Invitation, ReviewSeries, ReviewSession
from reviews.selectors.visibility import editable_sessions, visible_sessions
from reviews.services import sessions as scheduling

PAST_SHOWN = 20


def _session_for(user, pk, *, edit: bool = False) -> ReviewSession:
    """The session if the user may see it (or edit it: admins and its facilitator); 404 otherwise."""
    queryset = editable_sessions(user) if edit else visible_sessions(user)
    return access.get_visible_or_404(queryset.select_related("facilitator", "series"), "No such review session.", pk=pk)


def _require_admin(user) -> None:
    """Only admins schedule sessions and series."""
    access.require(access.is_admin(user), "Only admins schedule review sessions.")


def _next(request, fallback: str) -> str:
    return safe_target(request, request.POST.get("next") or request.GET.get("next")) or fallback


def index(request):
    """Upcoming and recent sessions the person may see, with their own answer and Accept / Decline.

    Queries: the person's managed departments (non-admins), upcoming sessions, past sessions; each with its
    counts and the person's answer as subqueries, whatever the number of sessions.
    """
    now = timezone.now()
    sessions = visible_sessions(request.user).with_answer_of(request.user)
    return render(
        request,
        "reviews/index.html",
        {
            "upcoming": list(sessions.filter(starts_at__gt=now).order_by("starts_at")),
            "past": list(sessions.filter(starts_at__lte=now).order_by("-starts_at")[:PAST_SHOWN]),
            "is_admin": access.is_admin(request.user),
            "series": list(ReviewSeries.objects.filter(ended_at__isnull=True).order_by("title"))
            if access.is_admin(request.user)
            else [],
        },
    )


def session_detail(request, pk):
    """One session: details and definitions; for the invitee their answer; for admins and the facilitator the
    invitees' answers, attendance, minutes and action items.

    Queries: the session (with facilitator and series), may-edit, the invitations with people (editors) or the
    person's own invitation (others), definitions, action items with owners.
    """
    session = _session_for(request.user, pk)
    can_edit = editable_sessions(request.user).filter(pk=session.pk).exists()
    return render(request, "reviews/session_detail.html", _detail_context(request, session, can_edit=can_edit))


def _detail_context(request, session, *, can_edit, **forms) -> dict:
    now = timezone.now()
    if can_edit:  # editors see every invitation; their own is among them
        invitations = list(
            session.invitations.select_related("person__department").order_by("person__first_name", "person__last_name")
        )
        mine = next((i for i in invitations if i.person_id == request.user.pk), None)
    else:
        invitations, mine = [], session.invitations.filter(person=request.user).first()
    started = session.starts_at <= now and not session.cancelled_at
    people = sorted({i.person for i in invitations} | {session.facilitator}, key=lambda p: p.display_name)
    context = {
        "session": session,
        "can_edit": can_edit,
        "mine": mine,
        "invitations": invitations,
        "started": started,
        "is_admin": access.is_admin(request.user),
        "upcoming": session.starts_at > now and not session.cancelled_at,
        "definitions": list(session.definitions.select_related("department")),
        "actions": list(session.action_items.select_related("owner")),
        "when": scheduling.when_text(session),
        "counts": {r: sum(1 for i in invitations if i.response == r) for r in Invitation.Response.values},
    }
    if can_edit and (started or forms):  # a refused form is shown with its error even before the session
        context["attendance_form"] = forms.get("attendance_form") or AttendanceForm(invitations=invitations)
        context["minutes_form"] = forms.get("minutes_form") or MinutesForm(initial={"minutes": session.minutes})
        context["action_form"] = forms.get("action_form") or ActionItemForm(people=people)
    return context


def session_ics(request, pk):
    """The session as a calendar file for the person (their own attendee line if invited)."""
    session = _session_for(request.user, pk)
    link = request.build_absolute_uri(session.get_absolute_url())
    body = ics.build(session=session, attendee=request.user, url=link)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="review-session-{session.pk}.ics"'
    return response


@require_POST
def respond(request, pk):
    """The signed-in invitee accepts or declines (from the session, the list or Today)."""
    session = _session_for(request.user, pk)
    back = _next(request, session.get_absolute_url())
    invitation = session.invitations.filter(person=request.user).first()
    if invitation is None:
        messages.error(request, "You are not invited to this session, so there is nothing to answer.")
        return redirect(back)
    invitation.session = session
    with message_from(request) as refused:
        scheduling.respond(invitation=invitation, person=request.user, response=request.POST.get("response", ""))
    if not refused:
        messages.success(
            request, f"{invitation.get_response_display()}: {session.title}, {scheduling.when_text(session)}."
        )
    return redirect(back)


@login_not_required
def answer(request, token):
    """The accept / decline link of an invitation e-mail: no sign-in, but it answers only its own invitation.

    GET shows what will be answered and a button; only the POST answers, so mail scanners that open links do not
    answer for the person.
    """
    try:
        pk, response = scheduling.read_response_token(token)
        invitation = Invitation.objects.select_related("session__facilitator", "person").filter(pk=pk).first()
        if invitation is None:
            raise RuleViolation("This invitation no longer exists; the session may have been changed.")
    except RuleViolation as error:
        return render(request, "reviews/session_answer.html", {"problem": error.message}, status=400)
    context = {
        "invitation": invitation,
        "session": invitation.session,
        "response": response,
        "when": scheduling.when_text(invitation.session),
    }
    if request.method == "POST":
        try:
            scheduling.respond(invitation=invitation, person=invitation.person, response=response)
        except RuleViolation as error:
            context["problem"] = error.message
            return render(request, "reviews/session_answer.html", context, status=400)
        context["done"] = True
    return render(request, "reviews/session_answer.html", context)


def schedule(request):
    """Admins schedule one session and invite departments and people."""
    _require_admin(request.user)
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form) as refused:
            session = scheduling.schedule_session(
                by=request.user, details=form.details(), starts_at=form.cleaned_data["starts_at"]
            )
        if not refused:
            messages.success(
                request,
                f"Scheduled. {session.invitations.count()} people will be e-mailed an "
                "invitation within a quarter of an hour.",
            )
            return redirect(session)
    return render(request, "reviews/session_form.html", {"form": form})


def series_create(request):
    """Admins create a recurring series; its sessions are made for the months ahead."""
    _require_admin(request.user)
    form = SeriesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form) as refused:
            series = scheduling.create_series(by=request.user, details=form.details(), pattern=form.pattern())
        if not refused:
            messages.success(
                request,
                f"Series created with {series.sessions.count()} sessions ahead; invitations "
                "go out within a quarter of an hour.",
            )
            return redirect("reviews:series", series.pk)
    return render(request, "reviews/series_form.html", {"form": form})


def _series_for(user, pk) -> ReviewSeries:
    _require_admin(user)
    return access.get_visible_or_404(ReviewSeries.objects.select_related("facilitator"), "No such series.", pk=pk)


def series_detail(request, pk):
    """A series: its pattern and its occurrences, past and future, with answers so far.

    Queries: the series, its definitions, departments and people invited, and its occurrences with counts.
    """
    series = _series_for(request.user, pk)
    now = timezone.now()
    sessions = list(series.sessions.with_answer_of(request.user).order_by("starts_at"))
    return render(
        request,
        "reviews/series_detail.html",
        {
            "series": series,
            "pattern": scheduling.describe_pattern(series),
            "definitions": list(series.definitions.all()),
            "departments": list(series.invited_departments.all()),
            "people": list(series.invited_people.all()),
            "future": [s for s in sessions if s.starts_at > now],
            "past": [s for s in sessions if s.starts_at <= now],
        },
    )


def series_edit(request, pk):
    """Change a series: its future occurrences follow, past ones stay as they were."""
    series = _series_for(request.user, pk)
    if series.ended_at:
        messages.error(request, "This series has ended; create a new one instead.")
        return redirect("reviews:series", series.pk)
    form = SeriesForm(request.POST or None, initial=SeriesForm.initial_for(series))
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form) as refused:
            changed = scheduling.update_series(
                series=series, by=request.user, details=form.details(), pattern=form.pattern()
            )
        if not refused:
            messages.success(
                request,
                f"Saved. {changed} future session{'s' if changed != 1 else ''} changed; "
                "past sessions are as they were.",
            )
            return redirect("reviews:series", series.pk)
    return render(request, "reviews/series_form.html", {"form": form, "series": series})


@require_POST
def series_end(request, pk):
    """First POST: how many sessions are cancelled and people told; the confirmed POST ends the series."""
    series = _series_for(request.user, pk)
    if series.ended_at:
        messages.info(request, "This series had ended already.")
    elif not confirmation.is_confirmed(request):
        ahead = list(scheduling.future_occurrences(series, timezone.now()).order_by("starts_at"))
        told = (
            Invitation.objects.filter(session__in=ahead, sent_at__isnull=False).values("person_id").distinct().count()
        )
        return confirmation.render(
            request,
            Confirmation(
                title=_("End the series “%(title)s”?") % {"title": series.title},
                action=reverse("reviews:series_end", args=[series.pk]),
                button=_("End the series"),
                cancel_url=reverse("reviews:series", args=[series.pk]),
                effects=[
                    _("No new sessions are made for it."),
                    ngettext("%(n)d session ahead is cancelled.", "%(n)d sessions ahead are cancelled.", len(ahead))
                    % {"n": len(ahead)},
                    ngettext(
                        "%(n)d person already invited is e-mailed a cancellation.",
                        "%(n)d people already invited are e-mailed a cancellation.",
                        told,
                    )
                    % {"n": told},
                    _("Past sessions keep their attendance and minutes."),
                ],
                items_label=_("Sessions cancelled"),
                items=[scheduling.when_text(s) for s in ahead],
                breadcrumbs=[
                    (_("Review sessions"), reverse("reviews:index")),
                    (series.title, reverse("reviews:series", args=[series.pk])),
                    (_("End"), None),
                ],
            ),
        )
    else:
        cancelled = scheduling.end_series(series=series, by=request.user)
        messages.success(
            request,
            f"Series ended; {cancelled} future session{'s' if cancelled != 1 else ''} "
            "cancelled and their invitees told.",
        )
    return redirect("reviews:series", series.pk)


def cancel(request, pk):
    """Admins cancel a session that has not started; the invitees are told why."""
    session = _session_for(request.user, pk)
    _require_admin(request.user)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form, on_field=False) as refused:
            told = scheduling.cancel_session(session=session, by=request.user, reason=form.cleaned_data["reason"])
        if not refused:
            messages.success(request, f"Cancelled; {told} invitee{'s' if told != 1 else ''} will be told.")
            return redirect(session)
    told = session.invitations.filter(sent_at__isnull=False).count()
    unsent = session.invitations.filter(sent_at__isnull=True).count()
    return confirmation.render(
        request,
        Confirmation(
            title=_("Cancel %(title)s?") % {"title": session.title},
            action=reverse("reviews:cancel", args=[session.pk]),
            button=_("Cancel the session"),
            cancel_url=session.get_absolute_url(),
            cancel_label=_("Keep it"),
            effects=[
                scheduling.when_text(session) + ".",
                ngettext(
                    "%(n)d person already invited is e-mailed a cancellation that removes it from their calendar.",
                    "%(n)d people already invited are e-mailed a cancellation that removes it from their calendar.",
                    told,
                )
                % {"n": told},
                ngettext(
                    "%(n)d person not e-mailed yet never hears of it.",
                    "%(n)d people not e-mailed yet never hear of it.",
                    unsent,
                )
                % {"n": unsent},
            ],
            form=form,
            breadcrumbs=[
                (_("Review sessions"), reverse("reviews:index")),
                (session.title, session.get_absolute_url()),
                (_("Cancel"), None),
            ],
        ),
        status=400 if form.is_bound else 200,
    )


def _editor_post(request, pk, handle):
    """Shared shape of the facilitator's forms: 404 unless they may edit, re-render the page on an error."""
    session = _session_for(request.user, pk, edit=True)
    if request.method != "POST":
        return redirect(session)
    invalid = handle(session)
    if invalid is None:
        return redirect(f"{session.get_absolute_url()}#after-session")
    return render(
        request, "reviews/session_detail.html", _detail_context(request, session, can_edit=True, **invalid), status=400
    )


def attendance(request, pk):
    def handle(session):
        invitations = list(session.invitations.select_related("person"))
        form = AttendanceForm(request.POST, invitations=invitations)
        if form.is_valid():
            with form_errors_from(form, on_field=False) as refused:
                n = scheduling.take_attendance(
                    session=session, by=request.user, attended_ids=form.cleaned_data["attended"]
                )
            if not refused:
                messages.success(request, f"Attendance saved: {n} of {len(invitations)} attended.")
                return None
        return {"attendance_form": form}

    return _editor_post(request, pk, handle)


def minutes(request, pk):
    def handle(session):
        form = MinutesForm(request.POST)
        if form.is_valid():
            with form_errors_from(form, on_field=False) as refused:
                scheduling.save_minutes(session=session, by=request.user, minutes=form.cleaned_data["minutes"])
            if not refused:
                messages.success(request, "Minutes saved.")
                return None
        return {"minutes_form": form}

    return _editor_post(request, pk, handle)


def action_add(request, pk):
    def handle(session):
        people = {i.person for i in session.invitations.select_related("person")} | {session.facilitator}
        form = ActionItemForm(request.POST, people=sorted(people, key=lambda p: p.display_name))
        if form.is_valid():
            data = form.cleaned_data
            with form_errors_from(form) as refused:
                scheduling.add_action_item(
                    session=session,
                    by=request.user,
                    title=data["title"],
                    owner=form.people[data["owner"]],
                    due_date=data["due_date"],
                )
            if not refused:
                messages.success(request, f"Action added for {form.people[data['owner']]}.")
                return None
        return {"action_form": form}

    return _editor_post(request, pk, handle)


@require_POST
def action_done(request, pk):
    """The owner (or the facilitator, or an admin) marks an action done or open again."""
    editable = editable_sessions(request.user).values("pk")
    item = access.get_visible_or_404(
        ActionItem.objects.select_related("session").filter(Q(owner=request.user) | Q(session__in=editable)),
        "No such action item.",
        pk=pk,
    )
    with message_from(request):
        scheduling.complete_action_item(item=item, by=request.user, done=request.POST.get("done") != "0")
    return redirect(_next(request, item.session.get_absolute_url()))
