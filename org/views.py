"""Pages of the org app: Today (home), the organization chart, a department, and the health check."""

import logging

from celery import current_app as celery_app
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.db.utils import DatabaseError
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core import today as today_sections
from org import access, selectors

log = logging.getLogger(__name__)

MEMBERS_PER_PAGE = 50


def today(request):
    return render(request, "org/today.html", {"sections": today_sections.sections_for(request)})


def organization(request):
    departments = selectors.departments_with_figures(access.organization_chart(request.user))
    rows = selectors.flatten(selectors.as_tree(departments))
    visible = {d.pk for d in rows if access.can_see(request.user, d)}
    return render(
        request,
        "org/organization.html",
        {
            "rows": rows,
            "linkable": visible,
            "totals": selectors.organization_totals(),
        },
    )


def department(request, pk):
    dept = access.department_for(request.user, pk)
    figures = selectors.departments_with_figures(type(dept).objects.filter(pk=dept.pk)).get()
    children = selectors.departments_with_figures(dept.children.all()).order_by("name")
    members = dept.members.filter(is_active=True).order_by("last_name", "first_name", "username")
    page_number, highlighted = request.GET.get("page"), None
    person = request.GET.get("person", "")
    # A search hit: open the page of the list where the person is (ASCII digits: int() refuses "²").
    if person.isascii() and person.isdigit() and len(person) < 12:
        found = members.filter(pk=int(person)).values_list("last_name", "first_name", "username").first()
        if found:
            highlighted = int(person)
            last, first, username = found
            before = members.filter(
                Q(last_name__lt=last)
                | Q(last_name=last, first_name__lt=first)
                | Q(last_name=last, first_name=first, username__lt=username)
            ).count()
            page_number = before // MEMBERS_PER_PAGE + 1
    page = Paginator(members, MEMBERS_PER_PAGE).get_page(page_number)
    return render(
        request,
        "org/department.html",
        {
            "department": figures,
            "ancestors": type(dept).objects.ancestors_of(dept),
            "children": children,
            "members": page,
            "highlighted": highlighted,
            "can_manage": access.can_manage(request.user, dept),
        },
    )


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """200 with the state of the database and the broker; 503 when the database cannot be reached."""
    database = {"ok": True, "engine": connection.vendor}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        log.error("healthz: database unreachable: %s", error)
        database.update(ok=False, error=type(error).__name__)
    broker = {"ok": True, "transport": celery_app.conf.broker_url.split(":", 1)[0]}
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    except Exception as error:  # any broker failure is reported, not raised
        log.error("healthz: broker unreachable: %s", error)
        broker.update(ok=False, error=type(error).__name__)
    status = "ok" if database["ok"] and broker["ok"] else ("degraded" if database["ok"] else "down")
    return JsonResponse(
        {"status": status, "database": database, "broker": broker}, status=200 if database["ok"] else 503
    )
