"""Pages of the customer list: the list, a customer, opting out, the CSV import, a department's internal customers.

Every customer is fetched through customers.selectors.visibility (the departments the user manages); anything
else is a 404.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core import uploads
from core.forms import form_errors_from
from customers.forms.customers import CustomerForm, InternalCustomersForm, UploadCustomersForm
from customers.models import Customer
from customers.selectors import visibility as selectors
from customers.services import campaigns as services
from customers.services import imports
from org import access

PAGE_SIZE = 50


def _require_manager(user) -> None:
    access.require(access.managed_departments(user).exists(), "Only managers keep customer lists.")


def _customer_for(user, pk) -> Customer:
    return access.get_visible_or_404(
        selectors.visible_customers(user).select_related("department"), "No such customer.", pk=pk
    )


def index(request):
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


@require_POST
def customer_opt_out(request, pk):
    customer = _customer_for(request.user, pk)
    services.opt_out(customer=customer, by=request.user)
    messages.success(request, f"{customer.name} opted out and will never be asked again.")
    return redirect("customers:index")


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

UPLOAD_KIND = "customers"


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


def customer_import_preview(request, token):
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


@require_POST
def customer_import_discard(request, token):
    pending, _department = _upload_for(request, token)
    uploads.forget(pending)
    messages.info(request, "The uploaded file was discarded; nothing was imported.")
    return redirect("customers:import")
