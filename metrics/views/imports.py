"""Pages of the CSV import: upload a file, preview it with every row's problems, confirm (or discard) it.

Between the preview and the confirmation the file waits in the database (core.uploads), under a random token
that only its uploader can use: anyone else's token, or an unknown one, is a 404. Checking and importing are
jobs (metrics.services.import_jobs): done in the request for a small file; for a large one a worker does them while the
page shows their progress and polls until they finish.
"""

from urllib.parse import quote, urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from core import periods, uploads
from core.exceptions import RuleViolation
from metrics.forms.imports import ConfirmImportForm, UploadReadingsForm
from metrics.models import ReadingImport
from metrics.selectors import figures as selectors
from metrics.services import import_jobs, imports, rollups

UPLOAD_KIND = import_jobs.UPLOAD_KIND
POLL_SECONDS = 2


def upload(request):
    form = UploadReadingsForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        pending = uploads.keep(
            user=request.user,
            upload=form.cleaned_data["file"],
            kind=UPLOAD_KIND,
            data={"decimal": form.cleaned_data["decimal"], "decimal_detected": form.cleaned_data["decimal_detected"]},
        )
        import_jobs.start(user=request.user, upload=pending, action=ReadingImport.Action.CHECK)
        return redirect("metrics:import_preview", token=pending.token)
    metrics = selectors.visible_metrics(request.user).active().select_related("department")
    through = import_jobs.rollup_pending(user=request.user)  # just imported: the figures are on their way
    return render(
        request,
        "metrics/import_upload.html",
        {
            "rollup_poll": urlencode({"through": through.isoformat()}) if through else None,
            "form": form,
            "metrics": metrics.order_by("department__path", "code")[:100],
            "columns": imports.COLUMNS,
            "template_csv": imports.TEMPLATE,
            "template_href": "data:text/csv;charset=utf-8," + quote(imports.TEMPLATE),
            "zone": periods.organization_zone().key,
        },
    )


@vary_on_headers("HX-Request")  # a poll's answer (a client redirect, or nothing) is not the page
def preview(request, token):
    """The file's check (or the outcome of its import); POST imports it."""
    job = import_jobs.latest(user=request.user, token=token)
    if job is None:
        raise Http404("No such upload.")
    form = ConfirmImportForm(request.POST if request.method == "POST" else None)  # the plain button posts no field
    if request.method == "POST" and form.is_valid():  # always valid: its one box may be left unticked
        try:
            job, started = import_jobs.confirm_import(
                user=request.user, token=token, valid_only=form.cleaned_data["valid_only"]
            )
        except import_jobs.UploadGone as gone:
            raise Http404(gone.message) from None
        if not started:
            messages.info(request, "This file is still being checked or imported; wait for it to finish.")
            return redirect("metrics:import_preview", token=token)
        if job.pending:
            return redirect("metrics:import_preview", token=token)
    if job.pending:
        return _render_running(request, job)
    problem, report = None, None
    if job.status == ReadingImport.Status.FAILED:
        problem = f"The {job.get_action_display().lower()} of {job.name} stopped. {job.error}"
    else:
        report = import_jobs.report_from_json(job.report)
        if report.saved:  # said once; a later visit (another tab) only says it was imported
            if import_jobs.announce(job):
                messages.success(
                    request,
                    format_html(
                        '{} <a class="alert-link" href="{}">Back to my metrics</a>',
                        report.summary(job.name),
                        reverse("metrics:index"),
                    ),
                )
                rollups.roll_up_now_if_free()  # else the upload page says when the figures have them
            else:
                messages.info(request, f"{job.name} was imported already.")
            return _go(request, reverse("metrics:import"))
        if job.action == ReadingImport.Action.IMPORT:
            problem = report.summary(job.name)
        if job.upload_id is None:  # discarded or replaced: there is nothing left to show or import
            if request.htmx:
                return _go(request, reverse("metrics:import"))
            raise Http404("This file was discarded or replaced by newer uploads. Upload it again if needed.")
    if request.htmx:  # a poll that found the job finished: show the whole page
        return _go(request, request.path)
    return render(
        request,
        "metrics/import_preview.html",
        {
            "form": form,
            "report": report,
            "problem": problem,
            "name": job.name,
            "token": token,
            "waiting": job.upload_id is not None,
        },
    )


def _render_running(request, job: ReadingImport):
    return render(
        request,
        "metrics/import_running.html",
        {
            "job": job,
            "name": job.name,
            "token": job.token,
            "poll_seconds": POLL_SECONDS,
            "checking": job.action == ReadingImport.Action.CHECK,
        },
    )


def _go(request, url: str):
    """A redirect, or for htmx (a poll) a client redirect: the browser loads the whole page itself."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_POST
def decimal(request, token):
    """Check the waiting file again with the other decimal separator (the preview offers it)."""
    try:
        _job, started = import_jobs.recheck_with_decimal(
            user=request.user, token=token, decimal=request.POST.get("decimal", "")
        )
    except import_jobs.UploadGone as gone:
        raise Http404(gone.message) from None
    except RuleViolation as refused:
        messages.error(request, refused.message)
        return redirect("metrics:import_preview", token=token)
    if not started:
        messages.info(request, "This file is still being checked or imported; wait for it to finish.")
    return redirect("metrics:import_preview", token=token)


@require_POST
def discard(request, token):
    try:
        running = import_jobs.discard_upload(user=request.user, token=token)
    except import_jobs.UploadGone as gone:
        raise Http404(gone.message) from None
    if running is not None:
        doing = "checked" if running.action == ReadingImport.Action.CHECK else "imported"
        messages.info(request, f"This file is being {doing}; it cannot be discarded until that is done.")
        return redirect("metrics:import_preview", token=token)
    messages.info(request, "The uploaded file was discarded; nothing was imported.")
    return redirect("metrics:import")
