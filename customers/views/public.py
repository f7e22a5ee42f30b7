"""The customer's answer page: no account, CSRF on, never cached or indexed, rate limited per address and link."""

from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from core import best_effort
from core.client_address import client_address
from customers.forms.public import AnswerForm
from customers.services import answers
from customers.services import campaigns as services
from customers.services.answers import LinkRefused
from customers.tokens import hash_token

RATE_LIMIT = 30  # requests per window, per client address and per link
RATE_WINDOW = 600  # seconds


def public_page(view):
    """No sign-in, no caching, no search engines, and no link in the Referer sent to other sites.

    "same-origin", not "no-referrer": with no-referrer browsers send `Origin: null` on the form's POST, which
    Django's CSRF check rightly refuses.
    """

    @login_not_required
    @never_cache
    @csrf_protect
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Referrer-Policy"] = "same-origin"
        return response

    return wrapped


def over_rate_limit(request, token: str) -> bool:
    """Count this request against the client's address and the link; True once either exceeds RATE_LIMIT.

    The address is the customer's own, seen through the trusted reverse proxies (core.client_address), so
    customers behind one proxy do not share one count. With the cache unreachable nothing is counted and the
    page still answers.
    """
    by_address = best_effort.count_hit(f"respond:ip:{client_address(request) or 'unknown'}", window=RATE_WINDOW)
    by_link = best_effort.count_hit(f"respond:link:{hash_token(token)[:40]}", window=RATE_WINDOW)
    return by_address > RATE_LIMIT or by_link > RATE_LIMIT


def _refused(request, reason: str):
    return render(
        request,
        "customers/answer_refused.html",
        {"reason": reason, "message": LinkRefused.MESSAGES[reason]},
        status=410,
    )


@public_page
@require_http_methods(["GET", "POST"])
def answer(request, token):
    """GET shows the promise and the questionnaire (with any saved draft); POST saves it for later or sends it."""
    if over_rate_limit(request, token):
        return render(
            request,
            "customers/answer_refused.html",
            {
                "reason": "rate",
                "message": (
                    "There were too many attempts from here in a short time. Please wait ten minutes and try again."
                ),
            },
            status=429,
        )
    try:
        recipient = answers.recipient_for_token(token)
    except LinkRefused as refused:
        return _refused(request, refused.reason)
    campaign = recipient.campaign
    questions = list(campaign.questions.all())
    if request.method == "POST" and "opt_out" in request.POST and recipient.person_id is None:
        # An external customer may ask never to be asked again; an internal customer is a whole department,
        # which one colleague cannot opt out for everyone.
        services.opt_out(customer=recipient.customer)
        return render(request, "customers/answer_opted_out.html")
    if request.method == "POST":
        saving = "save" in request.POST
        form = AnswerForm(request.POST, campaign=campaign, questions=questions, partial=saving)
        if form.is_valid():
            try:
                if saving:
                    answers.save_draft(recipient=recipient, data=form.draft_data())
                    return redirect(request.path + "?saved=1")
                answers.submit(
                    recipient=recipient,
                    answers=form.answer_rows(),
                    comment=form.cleaned_data["comment"],
                    nps=form.cleaned_data.get("nps"),
                    csat=form.cleaned_data.get("csat"),
                )
            except LinkRefused as refused:
                return _refused(request, refused.reason)
            return redirect("respond:thanks")
    else:
        form = AnswerForm(initial=recipient.draft, campaign=campaign, questions=questions)
    return render(
        request,
        "customers/answer_form.html",
        {
            "form": form,
            "campaign": campaign,
            "version": campaign.version,
            "recipient": recipient,
            "expires_at": recipient.expires_at,
            "saved": request.GET.get("saved") == "1" and request.method == "GET",
        },
    )


@public_page
@require_http_methods(["GET"])
def thanks(request):
    return render(request, "customers/answer_thanks.html")
