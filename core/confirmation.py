"""One shape for asking once before an action that cannot be undone: what will happen, to whom, one button.

A view whose POST cannot be undone answers a first POST (or a GET) with the confirmation page, carrying the
fields already chosen as hidden inputs, and acts only on a POST that has the confirming field:

    if not confirmation.is_confirmed(request):
        return confirmation.render(request, Confirmation(title=..., effects=[...], ...))
    ...  # act, then redirect with a message computed from what committed

No JavaScript dialog is involved (the Content Security Policy forbids inline scripts, and a page can be read).
"""

from dataclasses import dataclass, field

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render as render_page
from django.utils.translation import gettext_lazy as _

CONFIRM_FIELD = "confirmed"
CONFIRM_VALUE = "yes"


@dataclass
class Confirmation:
    """What the page says before an irreversible action.

    title: the question ("Close Week 47 for Support?"). effects: sentences saying what will happen, with counts.
    items_label / items: whom or what it touches ("5 departments are frozen" / their names).
    action: the URL the confirming form posts to; hidden: the fields chosen before, posted again unchanged.
    form: fields still to fill on this step (a reason), rendered above the button; errors are shown with it.
    button: what the confirming button says ("Close and freeze"); cancel_url: where "Cancel" goes back to.
    breadcrumbs: (label, url) pairs leading to the page, the last one without a url.
    """

    title: str
    action: str
    button: str
    cancel_url: str
    effects: list[str] = field(default_factory=list)
    items_label: str = ""
    items: list[str] = field(default_factory=list)
    hidden: dict[str, object] = field(default_factory=dict)
    form: forms.Form | None = None
    warning: str = _("This cannot be undone.")
    danger: bool = True
    breadcrumbs: list[tuple[str, str | None]] = field(default_factory=list)
    cancel_label: str = _("Cancel")
    problem: str = ""


def is_confirmed(request: HttpRequest) -> bool:
    """True for a POST sent from a confirmation page's button."""
    return request.method == "POST" and request.POST.get(CONFIRM_FIELD) == CONFIRM_VALUE


def render(request: HttpRequest, confirmation: Confirmation, *, status: int = 200) -> HttpResponse:
    """The confirmation page (templates/core/confirm.html, which includes the shared core/_confirm.html)."""
    return render_page(
        request,
        "core/confirm.html",
        {"confirmation": confirmation, "confirm_field": CONFIRM_FIELD, "confirm_value": CONFIRM_VALUE},
        status=status,
    )
