"""Pages of the CSV import: upload a file, preview it with every row's problems, confirm (or discard) it.

Between the preview and the confirmation the file waits under DATA_DIR/imports/<random token>.csv. The token is
remembered in the uploader's session with their id; a token that is not there, or belongs to someone else, is
a 404, and no path ever comes from the request.
"""

import re
import secrets
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from . import imports, periods, selectors
from .import_forms import ConfirmImportForm, UploadReadingsForm
from .models import Reading

SESSION_KEY = "metrics_import_uploads"
TOKEN = re.compile(r"[0-9a-f]{32}")
KEPT_PER_SESSION = 5
ABANDONED_AFTER = 24 * 60 * 60  # seconds: a preview nobody confirmed or discarded


def upload(request):
    form = UploadReadingsForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        token = _keep_upload(request, form.cleaned_data["file"])
        return redirect("metrics:import_preview", token=token)
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
    path, name = _upload_for(request, token)
    form = ConfirmImportForm(request.POST if request.method == "POST" else None)  # the plain button posts no field
    if request.method == "POST" and form.is_valid():
        with path.open("rb") as file:
            report = imports.import_readings(file=file, recorded_by=request.user, source=Reading.Source.CSV,
                                             valid_only=form.cleaned_data["valid_only"])
        if report.saved:
            _forget_upload(request, token)
            messages.success(request, format_html('{} <a class="alert-link" href="{}">Back to my metrics</a>',
                                                  report.summary(name), reverse("metrics:index")))
            return redirect("metrics:import")
        form.add_error(None, report.summary(name))
    else:
        with path.open("rb") as file:
            report = imports.check_import(file=file, recorded_by=request.user)
    return render(request, "metrics/import_preview.html", {
        "form": form, "report": report, "name": name, "token": token,
    })


@require_POST
def discard(request, token):
    _upload_for(request, token)
    _forget_upload(request, token)
    messages.info(request, "The uploaded file was discarded; nothing was imported.")
    return redirect("metrics:import")


def _folder() -> Path:
    folder = Path(settings.DATA_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _keep_upload(request, upload) -> str:
    """Save the upload in chunks under a new random name, remembered in this person's session."""
    _remove_abandoned()
    token = secrets.token_hex(16)
    with (_folder() / f"{token}.csv").open("xb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    uploads = request.session.get(SESSION_KEY, {})
    uploads[token] = {"user": request.user.pk, "name": Path(upload.name).name[:200]}
    for old in list(uploads)[:-KEPT_PER_SESSION]:
        (_folder() / f"{old}.csv").unlink(missing_ok=True)
        del uploads[old]
    request.session[SESSION_KEY] = uploads
    return token


def _upload_for(request, token: str) -> tuple[Path, str]:
    """The waiting file of this token and its original name, if it is this person's; 404 otherwise."""
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if not TOKEN.fullmatch(token) or entry is None or entry["user"] != request.user.pk:
        raise Http404("No such upload.")
    path = _folder() / f"{token}.csv"
    if not path.exists():
        _forget_upload(request, token)
        raise Http404("This upload has expired. Upload the file again.")
    return path, entry["name"]


def _forget_upload(request, token: str) -> None:
    uploads = request.session.get(SESSION_KEY, {})
    uploads.pop(token, None)
    request.session[SESSION_KEY] = uploads
    (_folder() / f"{token}.csv").unlink(missing_ok=True)


def _remove_abandoned() -> None:
    cutoff = time.time() - ABANDONED_AFTER
    for path in _folder().glob("*.csv"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:  # another process removed it first
            pass
