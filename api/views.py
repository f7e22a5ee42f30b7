"""Pages about the API: a person's tokens, service accounts (admins), Connect your tools, and the API docs."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from api import services
from api.forms import ServiceAccountForm, TokenForm
from api.models import ApiToken, ServiceAccount, TokenEvent
from core.client_address import client_address
from core.exceptions import RuleViolation
from org import access


def _issue_from_form(request, *, owner) -> tuple:
    """(the token issued to `owner` by the person signed in, or None; the form to show next): a valid POST issues
    one and answers an empty form, a refusal stays on the bound form as its error."""
    form = TokenForm(request.POST or None)
    if not (request.method == "POST" and form.is_valid()):
        return None, form
    try:
        issued = services.issue_token(
            user=owner,
            by=request.user,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires_at=form.expires_at(),
            ip=client_address(request),
        )
    except RuleViolation as error:
        form.add_error(None, error.message)
        return None, form
    return issued, TokenForm()


def tokens(request):
    """The person's own tokens, a form to create one; a new token's secret is shown once, on this answer."""
    issued, form = _issue_from_form(request, owner=request.user)
    listed = ApiToken.objects.filter(user=request.user)
    return render(
        request,
        "api/tokens.html",
        {"form": form, "issued": issued, "tokens": listed, "now": timezone.now(), "revoke_url": "api_pages:revoke"},
    )


@require_POST
def revoke(request, pk):
    token = access.get_visible_or_404(_revocable_tokens(request.user), "No such token.", pk=pk)
    if services.revoke_token(token=token, by=request.user, ip=client_address(request)):
        messages.success(request, _("Token “%(name)s” revoked: it is refused from now on.") % {"name": token.name})
    else:  # a second click, or another tab
        messages.info(request, _("Token “%(name)s” was revoked already.") % {"name": token.name})
    if token.user_id != request.user.pk:
        return redirect("api_pages:service_account", pk=token.user.service_account.pk)
    return redirect("api_pages:tokens")


def _revocable_tokens(user):
    """A person's own tokens; an admin's also every service account's."""
    if access.is_admin(user):
        return ApiToken.objects.filter(user__service_account__isnull=False) | ApiToken.objects.filter(user=user)
    return ApiToken.objects.filter(user=user)


def service_accounts(request):
    access.require(access.is_admin(request.user), "Service accounts are for admins.")
    form = ServiceAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.create_service_account(
                by=request.user,
                username=form.cleaned_data["username"],
                description=form.cleaned_data["description"],
                departments=list(form.cleaned_data["departments"]),
                ip=client_address(request),
            )
        except RuleViolation as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Service account “%(name)s” created.") % {"name": account})
            return redirect("api_pages:service_account", pk=account.pk)
    accounts = ServiceAccount.objects.select_related("user").prefetch_related("departments")
    return render(request, "api/service_accounts.html", {"form": form, "accounts": accounts})


def service_account(request, pk):
    access.require(access.is_admin(request.user), "Service accounts are for admins.")
    account = access.get_visible_or_404(
        ServiceAccount.objects.select_related("user").prefetch_related("departments"), "No such account.", pk=pk
    )
    issued, form = _issue_from_form(request, owner=account.user)
    events = TokenEvent.objects.filter(account=account) | TokenEvent.objects.filter(token__user=account.user)
    return render(
        request,
        "api/service_account.html",
        {
            "account": account,
            "form": form,
            "issued": issued,
            "tokens": ApiToken.objects.filter(user=account.user),
            "events": events.select_related("actor", "token")[:50],
            "now": timezone.now(),
        },
    )


@require_POST
def deactivate_service_account(request, pk):
    access.require(access.is_admin(request.user), "Service accounts are for admins.")
    account = access.get_visible_or_404(ServiceAccount.objects.select_related("user"), "No such account.", pk=pk)
    if services.deactivate_service_account(account=account, by=request.user, ip=client_address(request)):
        messages.success(request, _("“%(name)s” deactivated: its tokens are refused from now on.") % {"name": account})
    else:  # a second click, or another tab
        messages.info(request, _("“%(name)s” was deactivated already.") % {"name": account})
    return redirect("api_pages:service_account", pk=account.pk)


def connect(request):
    """Connect your tools: how to post a reading with curl, with this site's address."""
    return render(
        request,
        "api/connect.html",
        {
            "base": request.build_absolute_uri("/api/v1"),
            "docs_url": reverse("api_docs"),
        },
    )


@login_not_required
def docs(request):
    """The interactive API docs (Swagger UI, vendored; started by a static script)."""
    return render(request, "api/docs.html", {"openapi_url": reverse("api:openapi-json")})
