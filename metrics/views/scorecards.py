"""Pages of the scorecard matrix, its exports, closing a period, and the awards of a closed period.

Managers and admins only: every page fetches its department through org.access (404 outside the departments
the user manages), so an employee never sees anyone else's individual figures here.
"""

from dataclasses import replace

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from core import periods
from core.forms import form_errors_from
from core.spreadsheets import streaming_csv
from metrics.forms.scorecards import AddAwardForm, AwardForm, ClosePeriodForm, ScorecardFilterForm, Selection
from metrics.models import ScorecardExport
from metrics.selectors import scorecards
from metrics.services import awards, scorecard_exports
from org import access
from org.models import User
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
    department = access.department_for(request.user, pk, manage=True)
    form = ClosePeriodForm(request.POST, department=department)
    if form.is_valid():
        data = form.cleaned_data
        with form_errors_from(form, on_field=False) as refused:
            closed = awards.close_period(
                department=department,
                period=data["period"],
                start=data["start"],
                rule=data["rule"],
                top_n=data["top_n"],
                closed_by=request.user,
            )
        if not refused:
            suggested = closed.awards.count()
            messages.success(
                request,
                f"{closed} is closed and its scorecard frozen. Keel suggests {suggested} "
                f"award{'' if suggested == 1 else 's'}: confirm, edit or remove them below.",
            )
            return redirect("metrics:closed_period", closed.pk)
    period = form.data.get("period") if form.data.get("period") in periods.PERIODS else periods.WEEK
    selection = ScorecardFilterForm({"period": period, "start": form.data.get("start")}).selection()
    return _render_scorecard(request, department, selection, form, status=400)


def _render_scorecard(request, department, selection: Selection, close_form, status=200):
    # Queries: session, user, the user's managed paths (managers), the department, the user's own department
    # (navigation), the closed periods concerning the bucket, then the cache key (none when frozen, five when live:
    # see scorecards.cache_key); only when the cache has nothing, build_scorecard's five.
    closed, covering = scorecards.load_closings(department=department, period=selection.period, start=selection.start)
    key = scorecards.cache_key(department=department, period=selection.period, start=selection.start, closed=closed)
    key = f"{key}:table:{selection.rows}:{selection.sort}:{selection.page}"
    shown = scorecards.cache_get(key)
    if shown is None:
        shown = _matrix_table(department, selection, closed)
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


def _render_closed(request, closed, *, add_form=None, failed_award=None, status=200):
    # Queries: session, user, managed paths (managers), the closed period with its department and closer,
    # the user's own department (navigation), the awards with their people.
    card = scorecards.Scorecard.from_json(closed.scorecard)
    selection = ScorecardFilterForm(request.GET).selection()
    selection = Selection(period=card.period, start=card.start, rows=scorecards.PEOPLE, sort=selection.sort)
    rows = scorecards.sort_rows(card.people, card.columns, _valid_sort(card, selection.sort))
    award_rows = []
    ordered = closed.awards.select_related("person", "confirmed_by").order_by(
        "-confirmed", F("score").desc(nulls_last=True), "person__last_name", "title"
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
    form = AwardForm(request.POST, instance=award, prefix=f"award-{award.pk}")
    if form.is_valid():
        with form_errors_from(form, on_field=False) as refused:
            awards.confirm_award(
                award=award, confirmed_by=request.user, title=form.cleaned_data["title"], note=form.cleaned_data["note"]
            )
        if not refused:
            messages.success(request, f"Award “{award.title}” confirmed for {award.person}.")
            return redirect("metrics:closed_period", closed.pk)
    return _render_closed(request, closed, failed_award=form, status=400)


@require_POST
def award_remove(request, pk, award_pk):
    closed = awards.closed_period_for(request.user, pk)
    award = _award_in(closed, award_pk)
    awards.remove_award(award=award, removed_by=request.user)
    messages.success(request, f"Award “{award.title}” for {award.person} removed.")
    return redirect("metrics:closed_period", closed.pk)


def _award_in(closed, award_pk):
    return access.get_visible_or_404(
        closed.awards.select_related("person", "closed_period__department"), "No such award.", pk=award_pk
    )
