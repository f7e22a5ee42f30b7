"""The WSGI application bench/pages.py serves: Keel's own, plus one baseline page that only the bench routes.

The baseline is the least a signed-in page costs: the session, the user, the navigation and the base template,
with nothing of its own. Keel's URLs are included unchanged below it.
"""

from django.http import HttpResponse
from django.urls import include, path

from config.wsgi import application  # noqa: F401  (gunicorn serves pages_site:application)

BASELINE = (
    '{% extends "base.html" %}{% block title %}Baseline{% endblock %}'
    "{% block content %}<h1>{{ user.display_name }}</h1>{% endblock %}"
)


_compiled = []


def minimal(request):
    if not _compiled:  # compiled once, as the cached template loader does for Keel's own pages
        from django.template import engines

        _compiled.append(engines["django"].from_string(BASELINE))
    return HttpResponse(_compiled[0].render({}, request))


urlpatterns = [path("bench/minimal/", minimal, name="bench_minimal"), path("", include("config.urls"))]


def _route_here() -> None:
    from django.conf import settings

    settings.ROOT_URLCONF = __name__


_route_here()
