"""The search pages: the header's suggestions (an htmx fragment) and the full results page."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from org import access
from search.selectors import KINDS, MAX_QUERY_LENGTH, search

MANAGERS_ONLY = {"customers", "campaigns"}  # nobody else may open one, so an employee is never offered the filter

SUGGESTIONS_PER_KIND = 4
RESULTS_PER_KIND = 20


@require_GET
def results(request):
    """Every kind's best matches, ``RESULTS_PER_KIND`` each; ``?kind=`` narrows to one kind."""
    text = request.GET.get("q", "")[:MAX_QUERY_LENGTH]
    kind = request.GET.get("kind", "")
    kinds = (kind,) if kind in {k.key for k in KINDS} else None
    groups = search(user=request.user, text=text, per_kind=RESULTS_PER_KIND, kinds=kinds)
    return render(
        request,
        "search/results.html",
        {
            "q": text,
            "groups": groups,
            "kinds": _kinds_for(request.user),
            "kind": kinds[0] if kinds else "",
            "per_kind": RESULTS_PER_KIND,
        },
    )


@require_GET
def suggestions(request):
    """The few best matches of each kind, as the list under the header's search box."""
    text = request.GET.get("q", "")[:MAX_QUERY_LENGTH]
    groups = search(user=request.user, text=text, per_kind=SUGGESTIONS_PER_KIND)
    return render(request, "search/_suggestions.html", {"q": text, "groups": groups})


def _kinds_for(user):
    return [kind for kind in KINDS if kind.key not in MANAGERS_ONLY or access.manages_any(user)]
