"""Pages of the scorecard matrix, its exports, closing a period, and the awards of a closed period.

Managers and admins only: every page fetches its department through org.access (404 outside the departments
the user manages), so an employee never sees anyone else's individual figures here.
"""

from dataclasses import replace

from django.contrib import messages
from django.contrib.humanize.templatetags.humanize import ordinal
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from core import confirmation, periods
from core.confirmation import Confirmation
from core.forms import form_errors_from, message_from
from core.spreadsheets import streaming_csv
from metrics.forms.scorecards import (
    AddAwardForm,
    AwardForm,
    ClosePeriodForm,
    ReopenForm,
    ScorecardFilterForm,
    Selection,
    TieForm,
)
from metrics.models import ScorecardExport
from metrics.selectors import scorecards
from metrics.services import awards, scorecard_exports
from org import access
from org.models import Department, User
from org.selectors import as_tree, flatten

ROWS_PER_PAGE = 100


def index(request):
    departments = flatten(
        as_tree(access.managed_departments(request.user).only("id", "name", "parent_id", "path", "depth"))
    )
    return render(
        request,
        "metrics/scorecard_index.html",
        {
            "departments": departments,
            "closed_periods": awards.closed_periods_for(request.user)[:10],
            "my_awards": awards.awards_for(request.user)[:10],
        },
    )


def scorecard(request, pk):
    department = access.department_for(request.user, pk, manage=True)
    selection = ScorecardFilterForm(request.GET).selection()
    close_form = ClosePeriodForm(department=department, initial={"period": selection.period, "start": selection.start})
    return _render_scorecard(request, department, selection, close_form)


@require_POST
def close(request, pk):
    """First POST: the confirmation step naming the departments frozen and the counts; the confirmed POST closes."""
    department = access.department_for(request.user, pk, manage=True)
    form = ClosePeriodForm(request.POST, department=department)
    if form.is_valid():
        data = form.cleaned_data
        asked = {
            "department": department,
            "period": data["period"],
            "start": data["start"],
            "rule": data["rule"],
            "top_n": data["top_n"],
            "closed_by": request.user,
        }
        if not confirmation.is_confirmed(request):
            with form_errors_from(form, on_field=False) as refused:
                preview = awards.preview_close(**asked)
            if not refused:
                return confirmation.render(request, _close_confirmation(department, data, preview))
        else:
            with form_errors_from(form, on_field=False) as refused:
                closed = awards.close_period(**asked)
            if not refused:
                messages.success(request, _closed_message(closed))
                return redirect("metrics:closed_period", closed.pk)
    period = form.data.get("period") if form.data.get("period") in periods.PERIODS else periods.WEEK
    selection = ScorecardFilterForm({"period": period, "start": form.data.get("start")}).selection()
    return _render_scorecard(request, department, selection, form, status=400)


def _close_confirmation(department, data, preview: awards.ClosePreview) -> Confirmation:
    n = len(preview.departments)
    ranking = preview.ranking
    rule = awards.rule_title(data["rule"], data["top_n"])
    effects = [
        ngettext(
            "%(label)s (%(first)s – %(last)s) is frozen for %(n)d department: readings on those days are refused "
            "(an admin can still record one, with a reason).",
            "%(label)s (%(first)s – %(last)s) is frozen for %(n)d departments: readings on those days are "
            "refused (an admin can still record one, with a reason).",
            n,
        )
        % {"label": preview.label, "first": f"{preview.start:%d %b}", "last": f"{preview.end:%d %b %Y}", "n": n},
        ngettext(
            "The figures of %(n)d person are frozen as they stand now.",
            "The figures of %(n)d people are frozen as they stand now.",
            preview.people,
        )
        % {"n": preview.people},
        (
            ngettext(
                "Keel suggests %(n)d award (“%(rule)s”) for you to confirm, edit or remove.",
                "Keel suggests %(n)d awards (“%(rule)s”) for you to confirm, edit or remove.",
                len(ranking.winners),
            )
            if ranking.winners
            else _("Keel suggests no award outright (“%(rule)s”).")
        )
        % {"n": len(ranking.winners), "rule": rule},
    ]
    if ranking.tied:
        effects.append(_tie_sentence(ranking))
    effects.append(_("Only an admin can reopen it afterwards, with a reason; awards from it are then withdrawn."))
    return Confirmation(
        title=_("Close %(label)s for %(department)s?") % {"label": preview.label, "department": department},
        action=reverse("metrics:scorecard_close", args=[department.pk]),
        button=_("Close and freeze %(label)s") % {"label": preview.label},
        cancel_url=reverse("metrics:scorecard", args=[department.pk])
        + f"?period={data['period']}&start={preview.start.isoformat()}",
        effects=effects,
        items_label=ngettext("%(n)d department frozen", "%(n)d departments frozen", n) % {"n": n},
        items=[d.name for d in preview.departments],
        hidden={
            "period": data["period"],
            "start": preview.start.isoformat(),
            "rule": data["rule"],
            "top_n": data["top_n"],
        },
        warning=_("You cannot undo this yourself."),
        breadcrumbs=[
            (_("Scorecards"), reverse("metrics:scorecards")),
            (str(department), reverse("metrics:scorecard", args=[department.pk])),
            (_("Close"), None),
        ],
    )


def _tie_sentence(ranking: awards.Ranking) -> str:
    """'7 people tie for 3rd place (score 80%): 1 place is left; you choose who gets it.'"""
    return ngettext(
        "%(n)d people tie for %(place)s place (score %(score)s%%): %(left)d place is left, so Keel suggests none "
        "of them; you choose who gets it.",
        "%(n)d people tie for %(place)s place (score %(score)s%%): %(left)d places are left, so Keel suggests none "
        "of them; you choose who gets them.",
        ranking.places_left,
    ) % {
        "n": len(ranking.tied),
        "place": ordinal(ranking.place),
        "score": f"{ranking.tied[0]['score'] * 100:.0f}",
        "left": ranking.places_left,
    }


def _closed_message(closed) -> str:
    """What closing did, counted from what committed."""
    suggested = closed.awards.count()
    text = (
        _("%(closed)s is closed and its scorecard frozen. Keel suggests no award outright.") % {"closed": closed}
        if not suggested
        else ngettext(
            "%(closed)s is closed and its scorecard frozen. Keel suggests %(n)d award: confirm, edit or remove it "
            "below.",
            "%(closed)s is closed and its scorecard frozen. Keel suggests %(n)d awards: confirm, edit or remove them "
            "below.",
            suggested,
        )
        % {"closed": closed, "n": suggested}
    )
    ranking = awards.tie_of(closed)
    if ranking.tied and ranking.places_left:
        text += " " + _tie_sentence(ranking)
    return text


def _render_scorecard(request, department, selection: Selection, close_form, status=200):
    # Queries: session, user, the user's managed paths (managers), the department, the user's own department
    # (navigation), the closed periods concerning the bucket, then the cache key (none when frozen, one when live:
    # see scorecards.cache_key); only when the cache has nothing, build_scorecard's five.
    closed, covering = scorecards.load_closings(department=department, period=selection.period, start=selection.start)
    key = scorecards.cache_key(department=department, period=selection.period, start=selection.start, closed=closed)
    key = key and f"{key}:table:{selection.rows}:{selection.sort}:{selection.page}"
    shown = scorecards.cache_get(key) if key else None
    if shown is None:
        shown = _matrix_table(department, selection, closed)
        if key:
            scorecards.cache_set(key, shown)
    card = shown["head"]
    loaded = scorecards.Loaded(scorecard=card, closed=closed, covering=covering)
    page = Paginator(range(shown["count"]), ROWS_PER_PAGE).get_page(shown["number"])
    page.object_list = shown["rows"]
    return render(
        request,
        "metrics/scorecard_matrix.html",
        {
            "department": department,
            "selection": selection,
            "loaded": loaded,
            "scorecard": card,
            "rows": page,
            "table": shown["table"],
            "period_links": [
                {
                    "label": label,
                    "query": selection.query(**_period_change(selection, value)),
                    "active": value == selection.period,
                }
                for value, label in periods.PERIOD_CHOICES
            ],
            "row_links": [
                {"label": label, "query": selection.query(rows=value, page=1), "active": value == selection.rows}
                for value, label in scorecards.ROW_KINDS
            ],
            # A refused closing keeps its form on the page, with the reason, whatever the period.
            "close_form": close_form if close_form.is_bound or (loaded.closed is None and selection.ended) else None,
            "opens": periods.shift(selection.start, selection.period, 1),
            "scoring": scorecards.SCORING,
        },
        status=status,
    )


def _matrix_table(department, selection: Selection, closed) -> dict:
    """The matrix's table for the selection, rendered, with what the rest of the page needs of the scorecard: its
    head (label, dates, columns, total; no rows) and the rows of the page shown. Plain data, so it can be cached."""
    card = (
        scorecards.Scorecard.from_json(closed.scorecard)
        if closed is not None
        else scorecards.build_scorecard(department=department, period=selection.period, start=selection.start)
    )
    rows = scorecards.sort_rows(card.rows(selection.rows), card.columns, _valid_sort(card, selection.sort))
    page = Paginator(rows, ROWS_PER_PAGE).get_page(selection.page)
    table = render_to_string(
        "metrics/scorecard_table.html",
        {
            "headers": _headers(card, selection),
            "rows": page.object_list,
            "scorecard": card,
            "empty_message": (
                f"{department} has no sub-departments."
                if selection.rows == scorecards.DEPARTMENTS
                else f"Nobody works in {department} or below it."
            ),
        },
    )
    return {
        "head": replace(card, people=[], departments=[]),
        "table": table,
        "rows": page.object_list,
        "count": len(rows),
        "number": page.number,
    }


def _period_change(selection: Selection, period: str) -> dict:
    other = selection.for_period(period)
    return {"period": other.period, "start": other.start, "page": 1}


def _valid_sort(card, sort: str) -> str:
    return sort if sort.removeprefix("-") in scorecards.sort_keys(card.columns) else "name"


def _headers(card, selection: Selection) -> list[dict]:
    """Column headings with sort links: a click sorts by the column, a second click reverses it."""
    current = _valid_sort(card, selection.sort)
    headers = [{"key": "name", "label": "Name", "title": ""}]
    headers += [
        {
            "key": c.key,
            "label": c.name,
            "unit": c.unit,
            "title": f"{c.department} · {c.target_label} · weight {c.weight:g}",
            "target": c.target_label,
            "numeric": True,
        }
        for c in card.columns
    ]
    headers.append(
        {"key": "score", "label": "Score", "title": "Weighted score (see how it is computed below)", "numeric": True}
    )
    for header in headers:
        key = header["key"]
        ascending = current == key
        descending = current == f"-{key}"
        header["query"] = selection.query(sort=f"-{key}" if ascending else key, page=1)
        header["aria_sort"] = "ascending" if ascending else "descending" if descending else "none"
        header["arrow"] = "▲" if ascending else "▼" if descending else ""
    return headers


def _export(request, pk, department=None):
    department = department or access.department_for(request.user, pk, manage=True)
    selection = ScorecardFilterForm(request.GET).selection()
    card = scorecards.load_scorecard(department=department, period=selection.period, start=selection.start).scorecard
    rows = scorecards.sort_rows(card.rows(selection.rows), card.columns, _valid_sort(card, selection.sort))
    return card, rows, _export_name(department, selection)


def _export_name(department, selection: Selection) -> str:
    return f"scorecard-{department.code}-{selection.period}-{selection.start.isoformat()}-{selection.rows}"


def export_csv(request, pk):
    card, rows, name = _export(request, pk)
    return streaming_csv(scorecards.export_lines(card, rows), filename=f"{name}.csv")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_xlsx(request, pk):
    """A small matrix's workbook at once; a large one is built by a worker, on a page that waits for it."""
    department = access.department_for(request.user, pk, manage=True)
    selection = ScorecardFilterForm(request.GET).selection()
    if scorecard_exports.needs_worker(department=department, rows=selection.rows):
        job = scorecard_exports.request_export(
            user=request.user,
            department=department,
            period=selection.period,
            start=selection.start,
            rows=selection.rows,
            sort=selection.sort,
            name=_export_name(department, selection),
        )
        return redirect("metrics:scorecard_export", department.pk, job.pk)
    card, rows, name = _export(request, pk, department)
    return HttpResponse(
        scorecards.xlsx_bytes(card, rows),
        content_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


@vary_on_headers("HX-Request")  # a poll's answer (a client redirect, or nothing) is not the page
def export_job(request, pk, job_pk):
    """The page of a large export: it polls while a worker writes the workbook, then offers the download."""
    department = access.department_for(request.user, pk, manage=True)
    job = get_object_or_404(
        ScorecardExport.objects.defer("content"), pk=job_pk, user=request.user, department=department
    )
    if job.pending:
        scorecard_exports.resend_if_stuck(job)
        if request.htmx:
            return HttpResponse(status=204)
    elif request.htmx:  # a poll that found the job finished: the browser loads the whole page
        return HttpResponseClientRedirect(request.path)
    return render(
        request,
        "metrics/scorecard_export.html",
        {"department": department, "job": job, "poll_seconds": 2, "label": periods.label(job.start, job.period)},
    )


def export_download(request, pk, job_pk):
    department = access.department_for(request.user, pk, manage=True)
    job = get_object_or_404(
        ScorecardExport, pk=job_pk, user=request.user, department=department, status=ScorecardExport.Status.DONE
    )
    return HttpResponse(
        bytes(job.content),
        content_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{job.name}.xlsx"'},
    )


# A closed period and its awards


def closed_period(request, pk):
    closed = awards.closed_period_for(request.user, pk)
    return _render_closed(request, closed)


def _render_closed(request, closed, *, add_form=None, failed_award=None, tie_form=None, status=200):
    # Queries: session, user, managed paths (managers), the closed period with its department and closer,
    # the user's own department (navigation), the awards with their people, the period's history, and the
    # count of suggestions when a tie is left to choose.
    card = scorecards.Scorecard.from_json(closed.scorecard)
    selection = ScorecardFilterForm(request.GET).selection()
    selection = Selection(period=card.period, start=card.start, rows=scorecards.PEOPLE, sort=selection.sort)
    rows = scorecards.sort_rows(card.people, card.columns, _valid_sort(card, selection.sort))
    award_rows = []
    ordered = closed.awards.select_related("person", "confirmed_by").order_by(
        F("withdrawn_at").desc(nulls_first=True),
        "-confirmed",
        F("score").desc(nulls_last=True),
        "person__last_name",
        "title",
    )
    for award in ordered:
        form = failed_award if failed_award is not None and failed_award.instance.pk == award.pk else None
        award_rows.append(
            {
                "award": award,
                "form": form or AwardForm(instance=award, prefix=f"award-{award.pk}"),
                "open": form is not None,
            }
        )
    tie = awards.tie_of(closed) if not closed.is_reopened else None
    tie = tie if tie and tie.tied else None
    return render(
        request,
        "metrics/scorecard_closed.html",
        {
            "closed": closed,
            "scorecard": card,
            "selection": selection,
            "rows": rows,
            "headers": _headers(card, selection),
            "award_rows": award_rows,
            "add_form": add_form or AddAwardForm(closed_period=closed),
            "in_force": not closed.is_reopened,
            "waiting": sum(1 for r in award_rows if not r["award"].confirmed and not r["award"].is_withdrawn),
            "may_reopen": access.is_admin(request.user) and not closed.is_reopened,
            "history": awards.history_of(closed),
            "tie": tie,
            "tie_sentence": _tie_sentence(tie) if tie and tie.places_left else "",
            "tie_form": tie_form
            or (TieForm(tied=tie.tied, places_left=tie.places_left) if tie and tie.places_left else None),
            "rule_title": awards.rule_title(closed.rule, closed.top_n),
            "scoring": scorecards.SCORING,
            "empty_message": f"Nobody was in {closed.department} when the period closed.",
        },
        status=status,
    )


@require_POST
def award_add(request, pk):
    closed = awards.closed_period_for(request.user, pk)
    form = AddAwardForm(request.POST, closed_period=closed)
    if form.is_valid():
        data = form.cleaned_data
        person = User.objects.filter(pk=data["person"]).first()
        if person is None:
            form.add_error("person", "That person no longer exists; choose someone else.")
        else:
            with form_errors_from(form, on_field=False) as refused:
                award = awards.add_award(
                    closed_period=closed, person=person, title=data["title"], note=data["note"], added_by=request.user
                )
            if not refused:
                messages.success(request, f"Award “{award.title}” given to {award.person}.")
                return redirect("metrics:closed_period", closed.pk)
    return _render_closed(request, closed, add_form=form, status=400)


@require_POST
def award_confirm(request, pk, award_pk):
    closed = awards.closed_period_for(request.user, pk)
    award = _award_in(closed, award_pk)
    was_confirmed = award.confirmed
    form = AwardForm(request.POST, instance=award, prefix=f"award-{award.pk}")
    if form.is_valid():
        with form_errors_from(form, on_field=False) as refused:
            awards.confirm_award(
                award=award, confirmed_by=request.user, title=form.cleaned_data["title"], note=form.cleaned_data["note"]
            )
        if not refused:
            if was_confirmed:
                messages.success(request, f"Award “{award.title}” for {award.person} saved.")
            else:
                messages.success(
                    request, f"Award “{award.title}” confirmed for {award.person}; they are told by e-mail."
                )
            return redirect("metrics:closed_period", closed.pk)
    return _render_closed(request, closed, failed_award=form, status=400)


@require_POST
def award_remove(request, pk, award_pk):
    closed = awards.closed_period_for(request.user, pk)
    award = _award_in(closed, award_pk)
    if not confirmation.is_confirmed(request):
        seen = (
            _("%(person)s has seen this award since it was confirmed; it disappears from their awards.")
            % {"person": award.person}
            if award.confirmed
            else _("It is only a suggestion: %(person)s never saw it.") % {"person": award.person}
        )
        return confirmation.render(
            request,
            Confirmation(
                title=_("Remove the award “%(title)s” for %(person)s?")
                % {"title": award.title, "person": award.person},
                action=reverse("metrics:award_remove", args=[closed.pk, award.pk]),
                button=_("Remove the award"),
                cancel_url=reverse("metrics:closed_period", args=[closed.pk]),
                effects=[seen],
                breadcrumbs=_closed_crumbs(closed, _("Remove an award")),
            ),
        )
    with message_from(request) as refused:
        awards.remove_award(award=award, removed_by=request.user)
    if not refused:
        messages.success(request, f"Award “{award.title}” for {award.person} removed.")
    return redirect("metrics:closed_period", closed.pk)


@require_POST
def award_confirm_all(request, pk):
    """First POST: the list of suggestions to confirm; the confirmed POST confirms exactly as many as were shown."""
    closed = awards.closed_period_for(request.user, pk)
    waiting = list(awards.unconfirmed(closed).select_related("person").order_by("person__last_name", "title"))
    if not confirmation.is_confirmed(request):
        if closed.is_reopened or not waiting:
            messages.info(request, _("No suggestion waits for confirmation."))
            return redirect("metrics:closed_period", closed.pk)
        n = len(waiting)
        return confirmation.render(
            request,
            Confirmation(
                title=ngettext("Confirm %(n)d award?", "Confirm all %(n)d awards?", n) % {"n": n},
                action=reverse("metrics:award_confirm_all", args=[closed.pk]),
                button=ngettext("Confirm %(n)d award", "Confirm %(n)d awards", n) % {"n": n},
                cancel_url=reverse("metrics:closed_period", args=[closed.pk]),
                effects=[
                    ngettext(
                        "The award is confirmed as it is: the person sees it with its note and is told by e-mail.",
                        "The %(n)d awards are confirmed as they are: each person sees theirs with its note and is "
                        "told by e-mail.",
                        n,
                    )
                    % {"n": n},
                    _("To change a title or a note first, go back and edit that award."),
                ],
                items_label=_("Awards confirmed"),
                items=[f"{a.person.display_name} · {a.title}" for a in waiting],
                hidden={"expected": n},
                warning=_("People are told at once: this cannot be taken back."),
                danger=False,
                breadcrumbs=_closed_crumbs(closed, _("Confirm all")),
            ),
        )
    expected = request.POST.get("expected", "")
    # isdigit() alone lets "²" and 5,000-digit numbers through, which int() refuses (a 500): ASCII, 9 digits at most.
    readable = expected.isascii() and expected.isdigit() and len(expected) <= 9
    with message_from(request) as refused:
        done = awards.confirm_all(
            closed_period=closed, confirmed_by=request.user, expected=int(expected) if readable else -1
        )
    if not refused:
        messages.success(
            request,
            ngettext(
                "%(n)d award confirmed; its person is told by e-mail.",
                "%(n)d awards confirmed; each person is told by e-mail.",
                done,
            )
            % {"n": done},
        )
    return redirect("metrics:closed_period", closed.pk)


@require_POST
def award_tie(request, pk):
    """The manager chooses among people tied for the last place of a 'Top N' rule (suggestions, not yet shown)."""
    closed = awards.closed_period_for(request.user, pk)
    ranking = awards.tie_of(closed)
    form = TieForm(request.POST, tied=ranking.tied, places_left=ranking.places_left)
    if form.is_valid():
        with form_errors_from(form) as refused:
            made = awards.choose_from_tie(
                closed_period=closed, people=form.cleaned_data["people"], chosen_by=request.user
            )
        if not refused:
            messages.success(
                request,
                ngettext("%(names)s is suggested: confirm below.", "%(names)s are suggested: confirm below.", len(made))
                % {"names": ", ".join(str(a.person) for a in made)},
            )
            return redirect("metrics:closed_period", closed.pk)
    return _render_closed(request, closed, tie_form=form, status=400)


def reopen(request, pk):
    """Admins only (404 for anyone else): the confirmation page with the reason, then the reopening."""
    access.require(access.is_admin(request.user), "Only admins reopen closed periods.")
    closed = awards.closed_period_for(request.user, pk)
    if closed.is_reopened:
        messages.info(request, _("%(closed)s was reopened already.") % {"closed": closed})
        return redirect("metrics:closed_period", closed.pk)
    form = ReopenForm(request.POST if request.method == "POST" else None)
    if confirmation.is_confirmed(request) and form.is_valid():
        with form_errors_from(form) as refused:
            result = awards.reopen_period(
                closed_period=closed, reason=form.cleaned_data["reason"], reopened_by=request.user
            )
        if not refused:
            messages.success(
                request,
                ngettext(
                    "%(closed)s is reopened: readings are accepted again. %(n)d award was withdrawn with your reason.",
                    "%(closed)s is reopened: readings are accepted again. %(n)d awards were withdrawn with your "
                    "reason.",
                    result.withdrawn,
                )
                % {"closed": closed, "n": result.withdrawn},
            )
            return redirect("metrics:closed_period", closed.pk)
    live = list(closed.awards.filter(withdrawn_at__isnull=True).select_related("person").order_by("person__last_name"))
    confirmed = sum(1 for a in live if a.confirmed)
    departments = Department.objects.subtree_of(closed.department).count()
    return confirmation.render(
        request,
        Confirmation(
            title=_("Reopen %(closed)s?") % {"closed": closed},
            action=reverse("metrics:closed_period_reopen", args=[closed.pk]),
            button=_("Reopen and withdraw its awards"),
            cancel_url=reverse("metrics:closed_period", args=[closed.pk]),
            effects=[
                ngettext(
                    "Readings for %(label)s are accepted again in %(n)d department; its scorecard shows live figures.",
                    "Readings for %(label)s are accepted again in %(n)d departments; its scorecard shows live figures.",
                    departments,
                )
                % {"label": periods.label(closed.start, closed.period), "n": departments},
                ngettext(
                    "%(n)d award is withdrawn (%(c)d confirmed, seen by its person): kept and shown as withdrawn, "
                    "with your reason.",
                    "%(n)d awards are withdrawn (%(c)d confirmed, seen by their people): kept and shown as withdrawn, "
                    "with your reason.",
                    len(live),
                )
                % {"n": len(live), "c": confirmed},
                _("The frozen figures stay in the period's history; closing it again freezes the figures of then."),
            ],
            items_label=_("Awards withdrawn"),
            items=[f"{a.person.display_name} · {a.title}" + ("" if a.confirmed else _(" (suggested)")) for a in live],
            form=form,
            warning=_("Withdrawn awards cannot be restored: decide them again after closing the period again."),
            breadcrumbs=_closed_crumbs(closed, _("Reopen")),
        ),
        status=400 if form.is_bound else 200,
    )


def _closed_crumbs(closed, last):
    return [
        (_("Scorecards"), reverse("metrics:scorecards")),
        (str(closed), reverse("metrics:closed_period", args=[closed.pk])),
        (last, None),
    ]


def _award_in(closed, award_pk):
    return access.get_visible_or_404(
        closed.awards.select_related("person", "closed_period__department"), "No such award.", pk=award_pk
    )
