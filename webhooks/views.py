"""Pages of the outgoing webhooks: admins and managers list, add, change, test and delete subscriptions of the
departments they manage, and read each subscription's deliveries. Employees find nothing here (404)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import form_errors_from, message_from
from org import access
from webhooks import services
from webhooks.forms import SubscriptionForm

DELIVERIES_PER_PAGE = 25
# Shown once after creating or rotating, then only on request: which subscription's secret to show next.
SHOW_SECRET = "webhooks_show_secret"  # noqa: S105 (a session key)


def _require_manager(user) -> None:
    access.require(access.manages_any(user), "Only admins and managers have webhooks.")


def _subscription(request, pk):
    _require_manager(request.user)
    return access.get_visible_or_404(
        services.visible_subscriptions(request.user).select_related("department"), "No such subscription.", pk=pk
    )


def _form_fields(form: SubscriptionForm) -> dict:
    data = dict(form.cleaned_data)
    data.setdefault("allow_private_targets", None)  # a manager's form has no such field: the service keeps it
    return data


def subscription_list(request):
    _require_manager(request.user)
    subscriptions = (
        services.visible_subscriptions(request.user)
        .select_related("department")
        .annotate(
            delivered=Count("deliveries", filter=Q(deliveries__delivered_at__isnull=False)),
            failed=Count("deliveries", filter=Q(deliveries__failed_at__isnull=False)),
            waiting=Count("deliveries", filter=Q(deliveries__delivered_at__isnull=True, deliveries__failed_at=None)),
            last_delivery=Max("deliveries__created_at"),
        )
        .order_by("name", "pk")
    )
    return render(request, "webhooks/subscription_list.html", {"subscriptions": subscriptions})


def subscription_create(request):
    _require_manager(request.user)
    form = SubscriptionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = _form_fields(form)
        data["allow_private_targets"] = bool(data["allow_private_targets"])
        with form_errors_from(form) as refused:
            subscription = services.create_subscription(by=request.user, **data)
        if not refused:
            request.session[SHOW_SECRET] = subscription.pk
            messages.success(
                request,
                _("Subscription “%(name)s” added. Copy its secret now, then send a test event.")
                % {"name": subscription.name},
            )
            return redirect(subscription)
    return render(request, "webhooks/subscription_form.html", {"form": form, "subscription": None})


def subscription_edit(request, pk):
    subscription = _subscription(request, pk)
    form = SubscriptionForm(request.POST or None, instance=subscription, user=request.user)
    if request.method == "POST" and form.is_valid():
        # The form wrote its fields onto the instance; the service takes them from cleaned_data instead.
        subscription.refresh_from_db()
        with form_errors_from(form) as refused:
            services.update_subscription(subscription=subscription, by=request.user, **_form_fields(form))
        if not refused:
            messages.success(request, _("Subscription “%(name)s” saved.") % {"name": subscription.name})
            return redirect(subscription)
    return render(request, "webhooks/subscription_form.html", {"form": form, "subscription": subscription})


def subscription_detail(request, pk):
    subscription = _subscription(request, pk)
    deliveries = subscription.deliveries.select_related("event").order_by("-created_at", "-pk")
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    show_secret = request.session.pop(SHOW_SECRET, None) == subscription.pk
    return render(
        request,
        "webhooks/subscription_detail.html",
        {"subscription": subscription, "page": page, "show_secret": show_secret},
    )


@require_POST
def send_test(request, pk):
    subscription = _subscription(request, pk)
    with message_from(request) as refused:
        services.send_test_event(subscription=subscription, by=request.user)
    if not refused:
        messages.success(
            request, _("Test event queued: its delivery shows below within seconds (reload to see the answer).")
        )
    return redirect(subscription)


@require_POST
def secret(request, pk):
    """Show the secret once more (reveal), or replace it (rotate) and show the new one."""
    subscription = _subscription(request, pk)
    if request.POST.get("action") == "rotate":
        with message_from(request) as refused:
            services.rotate_secret(subscription=subscription, by=request.user)
        if not refused:
            messages.success(request, _("New secret made: deliveries from now on are signed with it."))
    request.session[SHOW_SECRET] = subscription.pk
    return redirect(reverse("webhooks:detail", args=[subscription.pk]) + "#secret")


def subscription_delete(request, pk):
    subscription = _subscription(request, pk)
    if request.method == "POST":
        with message_from(request) as refused:
            services.delete_subscription(subscription=subscription, by=request.user)
        if not refused:
            messages.success(request, _("Subscription “%(name)s” deleted.") % {"name": subscription.name})
            return redirect("webhooks:list")
    return render(request, "webhooks/subscription_delete.html", {"subscription": subscription})
