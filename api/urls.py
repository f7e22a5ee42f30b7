"""/api/v1/: the API's endpoints, its OpenAPI document and docs; a token, not a session, signs requests in."""

from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path

from api import problems, views
from api.api import api


@login_not_required
def not_found(request, rest=""):
    return problems.response(404, "There is no such endpoint: see /api/v1/openapi.json.")


def _open(patterns):
    """Ninja's views answer with a token (or 401) themselves: the pages' sign-in redirect must not catch them."""
    for pattern in patterns:
        pattern.callback.login_required = False
    return patterns


_patterns, _app, _namespace = api.urls  # not app_name: Django would read that as this module's namespace
urlpatterns = [
    path("docs", views.docs, name="api_docs"),
    path("", include((_open(_patterns), _app), namespace=_namespace)),
    re_path(r"^(?P<rest>.*)$", not_found),
]
