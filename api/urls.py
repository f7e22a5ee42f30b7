"""/api/v1/: the API's endpoints, its OpenAPI document and docs; a token, not a session, signs requests in."""

from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path

from api import problems, views
from api.api import api


@login_not_required
def not_found(request, rest=""):
    return problems.response(404, "There is no such endpoint: see /api/v1/openapi.json.")


def _method_problem(view):
    """Ninja answers a method a path does not take with Django's bare 405 (text/html, empty): the same 405 as a
    problem document, its Allow header kept, like every other error of the API."""

    @wraps(view)
    def answer(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(problems.CONTENT_TYPE):
            allowed = response.get("Allow", "")
            return problems.response(
                405, f"{request.method} is not allowed here; use {allowed}.", headers={"Allow": allowed}
            )
        return response

    return answer


def _open(patterns):
    """Ninja's views answer with a token (or 401) themselves: the pages' sign-in redirect must not catch them."""
    for pattern in patterns:
        pattern.callback = _method_problem(pattern.callback)
        pattern.callback.login_required = False
    return patterns


_patterns, _app, _namespace = api.urls  # not app_name: Django would read that as this module's namespace
urlpatterns = [
    path("docs", views.docs, name="api_docs"),
    path("", include((_open(_patterns), _app), namespace=_namespace)),
    re_path(r"^(?P<rest>.*)$", not_found),
]
