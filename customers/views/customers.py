"""Pages of the customer list: the list, a customer, opting out, the CSV import, a department's internal customers.

Every customer is fetched through customers.selectors.visibility (the departments the user manages); anything
else is a 404.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from core import uploads
from core.forms import form_errors_from
from customers.forms.customers import CustomerForm, InternalCustomersForm, UploadCustomersForm
from customers.models import Customer
from customers.selectors import visibility as selectors
from customers.services import campaigns as services
from customers.services import import_jobs, imports
from metrics.models import ReadingImport
from metrics.services import import_jobs as jobs
from org import access

PAGE_SIZE = 50


def _require_manager(user) -> None:
    access.require(access.managed_departments(user).exists(), "Only managers keep customer lists.")


def _customer_for(user, pk) -> Customer:
    return access.get_visible_or_404(
        selectors.visible_customers(user).select_related("department"), "No such customer.", pk=pk
    )


def index(request):
    access.require(access.keeps_customers(request.user), "Only managers keep customer lists.")
    customers = selectors.visible_customers(request.user).select_related("department", "internal_department")
    q, segment = request.GET.get("q", "").strip(), request.GET.get("segment", "").strip()
    opted_out = request.GET.get("opted_out") == "1"
    shown = customers.filter(opted_out_at__isnull=not opted_out)
    if q:
        shown = shown.filter(Q(name__icontains=q) | Q(email__icontains=q) | Q(products__icontains=q))
    if segment:
        shown = shown.filter(segment__iexact=segment)
    page = Paginator(shown.order_by("name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    segments = customers.exclude(segment="").order_by("segment").values_list("segment", flat=True).distinct()
    return render(
        request,
        "customers/customer_list.html",
        {
            "page": page,
            "q": q,
            "segment": segment,
            "opted_out": opted_out,
            "segments": list(segments),
            "is_manager": bool(access.managed_paths(request.user)) or access.is_admin(request.user),
        },
    )


def _customer_form(request, customer: Customer | None):
    initial = (
        {
            "department": customer.department,
            "name": customer.name,
            "email": customer.email,
            "segment": customer.segment,
            "products": customer.products,
        }
        if customer
        else {}
    )
    form = CustomerForm(request.POST or None, user=request.user, initial=initial)
    if customer is not None:
        form.fields["department"].disabled = True  # moving a customer would move their history
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        with form_errors_from(form) as refused:
            if customer is None:
                saved = services.add_customer(by=request.user, **data)
            else:
                data.pop("department")
                saved = services.update_customer(by=request.user, customer=customer, **data)
        if not refused:
            messages.success(request, f"{saved.name} is in the customer list.")
            return redirect("customers:index")
    return render(request, "customers/customer_form.html", {"form": form, "customer": customer})


def customer_add(request):
    _require_manager(request.user)
    return _customer_form(request, None)


def customer_edit(request, pk):
    customer = _customer_for(request.user, pk)
    if customer.kind != Customer.Kind.EXTERNAL:
        raise Http404("Internal customers are chosen on their department's page.")
    return _customer_form(request, customer)


def customer_opt_out(request, pk):
    """GET: what opting a customer out does (nothing in Keel undoes it); POST: opt them out."""
    customer = _customer_for(request.user, pk)
    if request.method == "POST":
        services.opt_out(customer=customer, by=request.user)
        messages.success(request, f"{customer.name} opted out and will never be asked again.")
        return redirect("customers:index")
    if customer.opted_out_at:
        messages.info(request, f"{customer.name} has already opted out.")
        return redirect("customers:index")
    return render(
        request,
        "customers/confirm.html",
        {
            "heading": gettext("Opt %(name)s out?") % {"name": customer.name},
            "crumbs": [(gettext("Customers"), reverse("customers:index"))],
            "consequences": [
                gettext("leave %(name)s out of every future draw of %(department)s")
                % {"name": customer.name, "department": customer.department.name},
                gettext("keep their past answers and history"),
            ],
            "irreversible": gettext(
                "Nothing in Keel undoes an opt-out: it is how a person's wish never to be asked again is kept."
            ),
            "action": reverse("customers:customer_opt_out", args=[customer.pk]),
            "button": gettext("Opt out"),
            "button_class": "btn-danger",
            "cancel": reverse("customers:index"),
        },
    )


def internal(request, department_pk):
    department = access.department_for(request.user, department_pk, manage=True)
    current = Customer.objects.filter(department=department, kind=Customer.Kind.INTERNAL, opted_out_at__isnull=True)
    form = InternalCustomersForm(
        request.POST or None, initial={"departments": [c.internal_department_id for c in current]}
    )
    form.fields["departments"].queryset = form.fields["departments"].queryset.exclude(pk=department.pk)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form, on_field=False) as refused:
            added, removed = services.set_internal_customers(
                by=request.user, department=department, served=list(form.cleaned_data["departments"])
            )
        if not refused:
            messages.success(request, f"{department}'s internal customers saved ({added} added, {removed} removed).")
            return redirect("customers:index")
    return render(request, "customers/customer_internal.html", {"form": form, "department": department})


# --- CSV import --------------------------------------------------------------------------------------------------

UPLOAD_KIND = import_jobs.UPLOAD_KIND
POLL_SECONDS = 2


def customer_import(request):
    _require_manager(request.user)
    form = UploadCustomersForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        pending = uploads.keep(
            user=request.user,
            upload=form.cleaned_data["file"],
            kind=UPLOAD_KIND,
            data={"department": form.cleaned_data["department"].pk},
        )
        if import_jobs.is_large(pending):  # too long for a request: a worker checks it while the page polls
            jobs.start(user=request.user, upload=pending, action=ReadingImport.Action.CHECK)
        return redirect("customers:import_preview", token=pending.token)
    return render(
        request,
        "customers/customer_import.html",
        {
            "form": form,
            "columns": imports.COLUMNS,
            "template_csv": imports.TEMPLATE,
            "segments": services.DEFAULT_SEGMENTS,
        },
    )


def _upload_for(request, token):
    """The user's waiting file, and the department it is for (which they must still manage); 404 otherwise."""
    pending = uploads.find(user=request.user, token=token, kind=UPLOAD_KIND)
    if pending is None:
        raise Http404("No such upload: it was imported, discarded or has expired. Upload the file again.")
    department = access.department_for(request.user, pending.data.get("department"), manage=True)
    return pending, department


@vary_on_headers("HX-Request")  # a poll's answer (a client redirect, or nothing) is not the page
def customer_import_preview(request, token):
    job = jobs.latest(user=request.user, token=token, kind=UPLOAD_KIND)
    if job is not None:  # a large file: checked and imported by a worker
        return _job_preview(request, token, job)
    pending, department = _upload_for(request, token)
    error = None
    if request.method == "POST":
        report = imports.import_pending(
            pending=pending, department=department, valid_only=request.POST.get("valid_only") == "on"
        )
        if report is None:  # another confirmation of the same file (a double click) imported it first
            messages.info(request, f"{pending.name} was already imported.")
            return redirect("customers:index")
        if report.saved:
            messages.success(request, report.summary(pending.name))
            return redirect("customers:index")
        error = report.summary(pending.name)
    else:
        with uploads.open_upload(pending) as file:
            report = imports.check_import(file=file, department=department)
    return render(
        request,
        "customers/customer_import_preview.html",
        {"report": report, "name": pending.name, "token": token, "department": department, "error": error},
    )


def _job_preview(request, token, job: ReadingImport):
    """The preview of a large file: its check (or import) runs in a worker while this page polls; POST imports it."""
    if job.upload_id is not None:  # still waiting: it must be for a department the person still manages
        department = access.department_for(request.user, job.upload.data.get("department"), manage=True)
    if request.method == "POST":
        try:
            job, started = jobs.confirm_import(
                user=request.user, token=token, valid_only=request.POST.get("valid_only") == "on", kind=UPLOAD_KIND
            )
        except jobs.UploadGone as gone:  # imported (a double click) or discarded already
            raise Http404(gone.message) from None
        if not started:
            messages.info(request, "This file is still being checked or imported; wait for it to finish.")
        return redirect("customers:import_preview", token=token)
    if job.pending:
        return render(
            request,
            "customers/customer_import_running.html",
            {
                "job": job,
                "name": job.name,
                "token": token,
                "poll_seconds": POLL_SECONDS,
                "checking": job.action == ReadingImport.Action.CHECK,
            },
        )
    report, error = None, None
    if job.status == ReadingImport.Status.FAILED:
        error = f"The {job.get_action_display().lower()} of {job.name} stopped. {job.error}"
    else:
        report = import_jobs.report_from_json(job.report)
        if report.saved:  # said once; a later visit (another tab) only says it was imported
            if jobs.announce(job):
                messages.success(request, report.summary(job.name))
            else:
                messages.info(request, f"{job.name} was already imported.")
            return _go(request, reverse("customers:index"))
        if job.action == ReadingImport.Action.IMPORT:
            error = report.summary(job.name)
    if job.upload_id is None:  # discarded, expired or failed for good: nothing is left to show or import
        if request.htmx:
            return _go(request, reverse("customers:import"))
        if error:
            messages.error(request, error)
            return redirect("customers:import")
        raise Http404("No such upload: it was imported, discarded or has expired. Upload the file again.")
    if request.htmx:  # a poll that found the job finished: show the whole page
        return _go(request, request.path)
    if report is None:  # the check failed: nothing to preview
        report = imports.ImportReport(file_error=error)
        error = None
    return render(
        request,
        "customers/customer_import_preview.html",
        {"report": report, "name": job.name, "token": token, "department": department, "error": error},
    )


def _go(request, url: str):
    """A redirect, or for htmx (a poll) a client redirect: the browser loads the whole page itself."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_POST
def customer_import_discard(request, token):
    _upload_for(request, token)  # theirs, for a department they still manage; 404 otherwise
    running = jobs.discard_upload(user=request.user, token=token, kind=UPLOAD_KIND)
    if running is not None:
        doing = "checked" if running.action == ReadingImport.Action.CHECK else "imported"
        messages.info(request, f"This file is being {doing}; it cannot be discarded until that is done.")
        return redirect("customers:import_preview", token=token)
    messages.info(request, "The uploaded file was discarded; nothing was imported.")
    return redirect("customers:import")
