"""Middleware every view relies on: request hygiene (no NUL reaches a view) and headers Django has no setting for."""

from django.conf import settings
from django.http import Http404, QueryDict


def _without_nul(query: QueryDict) -> QueryDict:
    """The same parameters with every NUL character removed (the same object when there is none)."""
    if not any("\x00" in key or any("\x00" in value for value in values) for key, values in query.lists()):
        return query
    cleaned = QueryDict(mutable=True, encoding=query.encoding)
    for key, values in query.lists():
        cleaned.setlist(key.replace("\x00", ""), [value.replace("\x00", "") for value in values])
    cleaned._mutable = False
    return cleaned


class StripNulMiddleware:
    """Remove NUL characters from query strings and submitted form fields before any view sees them.

    A NUL is never part of what a person means to type, and PostgreSQL refuses it in any text, so a search for
    `%00` answered 500. Removing it here covers every filter, search box and form field at once; an address with
    one (a token in the path) is not found; a NUL inside an uploaded file is the import's to report (with its line).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path:  # no page has one in its address; a token or code with it is not one of ours
            raise Http404("No such page.")
        request.GET = _without_nul(request.GET)
        if request.method == "POST":
            request.POST = _without_nul(request.POST)
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Adds the Permissions-Policy header (settings.PERMISSIONS_POLICY) unless the response set its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
