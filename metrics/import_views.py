"""Pages of the CSV import: upload a file, preview it with every row's problems, confirm (or discard) it.

Between the preview and the confirmation the file waits in the database (org.uploads), under a random token
that only its uploader can use: anyone else's token, or an unknown one, is a 404.
"""

from urllib.parse import quote

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from org import uploads

from . import imports, periods, selectors
from .import_forms import ConfirmImportForm, UploadReadingsForm
from .models import Reading

UPLOAD_KIND = "readings"


def upload(request):
    form = UploadReadingsForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        pending = uploads.keep(user=request.user, upload=form.cleaned_data["file"], kind=UPLOAD_KIND)
        return redirect("metrics:import_preview", token=pending.token)
    metrics = selectors.visible_metrics(request.user).active().select_related("department")
    return render(request, "metrics/import_upload.html", {
        "form": form,
        "metrics": metrics.order_by("department__path", "code")[:100],
        "columns": imports.COLUMNS,
        "template_csv": imports.TEMPLATE,
        "template_href": "data:text/csv;charset=utf-8," + quote(imports.TEMPLATE),
        "zone": periods.organization_zone().key,
    })


def preview(request, token):
    pending = _upload_for(request, token)
    form = ConfirmImportForm(request.POST if request.method == "POST" else None)  # the plain button posts no field
    if request.method == "POST" and form.is_valid():
        with uploads.open_upload(pending) as file:
            report = imports.import_readings(file=file, recorded_by=request.user, source=Reading.Source.CSV,
                                             valid_only=form.cleaned_data["valid_only"])
        if report.saved:
            uploads.forget(pending)
            messages.success(request, format_html('{} <a class="alert-link" href="{}">Back to my metrics</a>',
                                                  report.summary(pending.name), reverse("metrics:index")))
            return redirect("metrics:import")
        form.add_error(None, report.summary(pending.name))
    else:
        with uploads.open_upload(pending) as file:
            report = imports.check_import(file=file, recorded_by=request.user)
    return render(request, "metrics/import_preview.html", {
        "form": form, "report": report, "name": pending.name, "token": token,
    })


@require_POST
def discard(request, token):
    uploads.forget(_upload_for(request, token))
    messages.info(request, "The uploaded file was discarded; nothing was imported.")
    return redirect("metrics:import")


def _upload_for(request, token: str):
    pending = uploads.find(user=request.user, token=token, kind=UPLOAD_KIND)
    if pending is None:
        raise Http404("No such upload: it was imported, discarded or has expired. Upload the file again.")
    return pending
