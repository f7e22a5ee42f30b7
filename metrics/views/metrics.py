"""Pages of the metrics app: dashboards, metric definitions and recording a reading."""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from core import confirmation, periods
from core.confirmation import Confirmation
from core.forms import form_errors_from
from metrics.forms.metrics import MetricForm, ReadingForm, TargetFormSet
from metrics.models import Metric, Reading
from metrics.selectors import dashboards, rollup_progress
from metrics.selectors import figures as selectors
from metrics.services import readings as services
from metrics.services import rollups
from metrics.services.awards import awards_for
from org import access

STOP_POLLING = 286  # htmx stops polling an element whose poll is answered with this status
GIVE_UP_AFTER = timedelta(minutes=10)  # a page waiting this long for a rollup stops asking (the worker is down?)


def _period(request) -> str:
    period = request.GET.get("period", periods.WEEK)
    return period if period in periods.PERIODS else periods.WEEK


def _waiting(request, period: str) -> dict | None:
    """What a page that has just been sent readings waits for (their rollup): the metric whose card updates itself
    and the query its polls carry; None when nothing is waited for (or the rollup has already caught up)."""
    through = rollup_progress.parse_mark(request.GET.get("through"))
    metric_id = request.GET.get("metric", "")
    if through is None or not metric_id.isdigit() or rollup_progress.caught_up(through):
        return None
    return {
        "metric_id": int(metric_id),
        "query": urlencode({"period": period, "through": through.isoformat()}),
    }


def index(request):
    """My metrics: the page an employee opens every morning. After recording a reading (?metric=&through=, see
    reading_create) the card of its metric updates itself once the rollup has the reading."""
    period = _period(request)
    return render(
        request,
        "metrics/my_metrics.html",
        {
            "waiting": _waiting(request, period),
            "cards": dashboards.personal_cards(user=request.user, period=period),
            "my_awards": awards_for(request.user)[:5],
            "period": period,
            "periods": periods.PERIOD_CHOICES,
            "period_label": periods.current_label(period),
            "previous_label": periods.previous_label(period),
            # An admin's departments are all of them: the organization dashboard shows them side by side instead.
            "managed_departments": access.managed_departments(request.user).order_by("path")[:50]
            if access.role(request.user) == access.MANAGER
            else [],
            "role": access.role(request.user),
            "team": request.user.department,
        },
    )


def overview(request):
    """The organization dashboard: every department the person manages (an admin: all) side by side."""
    access.require(access.manages_any(request.user), "The overview is for managers and admins.")
    period = _period(request)
    return render(
        request,
        "metrics/overview.html",
        {
            "period": period,
            "periods": periods.PERIOD_CHOICES,
            "period_label": periods.current_label(period),
            "previous_label": periods.previous_label(period),
            "is_admin": access.is_admin(request.user),
            **dashboards.organization_overview(departments=access.managed_departments(request.user), period=period),
        },
    )


@vary_on_headers("HX-Request")
def card(request, pk):
    """One card of My metrics, polled (htmx) by a card waiting for the rollup of a reading just recorded
    (?through=<mark>): 204 while the rollup has not caught up, then the card with status 286, which stops the
    polling. A mark older than GIVE_UP_AFTER gets the card as it is, and the polling stops too."""
    period = _period(request)
    through = rollup_progress.parse_mark(request.GET.get("through"))
    given_up = through is None or timezone.now() - through > GIVE_UP_AFTER
    if not given_up and not rollup_progress.caught_up(through):
        return HttpResponse(status=204)
    found = [c for c in dashboards.personal_cards(user=request.user, period=period) if c.metric.pk == pk]
    if not found:
        raise Http404("No such metric on your dashboard.")
    return render(
        request,
        "metrics/_live_card.html",
        {
            "card": found[0],
            "period": period,
            "period_label": periods.current_label(period),
            "previous_label": periods.previous_label(period),
        },
        status=STOP_POLLING,
    )


@vary_on_headers("HX-Request")
def rollup_status(request):
    """Whether the rollup has caught up with ?through=<mark> (a page that has just imported readings polls it):
    204 while not, then a line saying the figures are up to date, with status 286, which stops the polling."""
    through = rollup_progress.parse_mark(request.GET.get("through"))
    if through is not None and timezone.now() - through <= GIVE_UP_AFTER and not rollup_progress.caught_up(through):
        return HttpResponse(status=204)
    return render(request, "metrics/_rollup_status.html", {"done": True}, status=STOP_POLLING)


def department(request, pk):
    dept = access.department_for(request.user, pk)
    period = _period(request)
    view = dashboards.department_view(department=dept, period=period)
    below = []
    if not view["cards"] and view["children"] and access.can_manage(request.user, dept):
        # A level without metrics of its own (the organization, a division): the departments below it side by side.
        subtree = type(dept).objects.subtree_of(dept).exclude(pk=dept.pk)
        rows = dashboards.organization_overview(departments=subtree, period=period)["rows"]
        below = rows if any(row.cells for row in rows) else []
    return render(
        request,
        "metrics/department.html",
        {
            "department": dept,
            "period": period,
            "periods": periods.PERIOD_CHOICES,
            "period_label": periods.current_label(period),
            "previous_label": periods.previous_label(period),
            "can_manage": access.can_manage(request.user, dept),
            "below": below,
            **view,
        },
    )


def metric_list(request):
    manageable = selectors.manageable_metrics(request.user)
    access.require(access.manages_any(request.user), "Only managers define metrics.")
    show_archived = request.GET.get("archived") == "1"
    metrics = manageable if show_archived else manageable.active()
    today = periods.today()
    rows = [
        (metric, selectors.cell(metric, None, today))
        for metric in selectors.with_targets(metrics).order_by("department__path", "name")
    ]
    return render(request, "metrics/metric_list.html", {"rows": rows, "show_archived": show_archived})


def _metric_for(user, pk, *, manage: bool) -> Metric:
    queryset = selectors.manageable_metrics(user) if manage else selectors.visible_metrics(user)
    return access.get_visible_or_404(selectors.with_targets(queryset), "No such metric.", pk=pk)


def metric_detail(request, pk):
    metric = _metric_for(request.user, pk, manage=False)
    period = _period(request)
    readings = (
        Reading.objects.filter(metric=metric, person__in=access.visible_people(request.user))
        if metric.per_person
        else Reading.objects.filter(metric=metric)
    )
    if not metric.per_person and not access.can_see(request.user, metric.department):
        readings = readings.none()
    return render(
        request,
        "metrics/metric_detail.html",
        {
            "metric": metric,
            "can_manage": access.can_manage(request.user, metric.department),
            "dashboard": access.dashboard_department(request.user, metric.department),
            "readings": readings.select_related("person", "recorded_by").order_by("-measured_at")[:25],
            "period": period,
        },
    )


def _edit_metric(request, metric: Metric | None):
    form = MetricForm(request.POST or None, instance=metric, user=request.user)
    direction = request.POST.get("direction") if request.method == "POST" else (metric.direction if metric else None)
    targets = TargetFormSet(request.POST or None, instance=metric or Metric(), direction=direction, prefix="targets")
    if request.method == "POST" and form.is_valid() and targets.is_valid():
        saved = services.save_metric(form=form, targets=targets)
        messages.success(request, f"“{saved}” saved.")
        return redirect(saved)
    return render(request, "metrics/metric_form.html", {"form": form, "targets": targets, "metric": metric})


def metric_create(request):
    access.require(access.manages_any(request.user), "Only managers define metrics.")
    return _edit_metric(request, None)


def metric_edit(request, pk):
    return _edit_metric(request, _metric_for(request.user, pk, manage=True))


@require_POST
def metric_archive(request, pk):
    """First POST: what archiving stops, with counts; the confirmed POST archives (Keel has no unarchiving)."""
    metric = _metric_for(request.user, pk, manage=True)
    if metric.is_archived:
        messages.info(request, f"“{metric}” was archived already.")
        return redirect(metric)
    if not confirmation.is_confirmed(request):
        readings = metric.readings.count()
        return confirmation.render(
            request,
            Confirmation(
                title=_("Archive “%(metric)s”?") % {"metric": metric},
                action=reverse("metrics:metric_archive", args=[metric.pk]),
                button=_("Archive the metric"),
                cancel_url=metric.get_absolute_url(),
                effects=[
                    _(
                        "It takes no new readings in %(department)s and below it: not from the form, a CSV import "
                        "or the API."
                    )
                    % {"department": metric.department},
                    ngettext(
                        "Its %(n)d reading and its history stay readable on dashboards and scorecards.",
                        "Its %(n)d readings and its history stay readable on dashboards and scorecards.",
                        readings,
                    )
                    % {"n": readings},
                ],
                warning=_("Keel cannot unarchive a metric: to measure it again, create a new one."),
                breadcrumbs=[(str(metric), metric.get_absolute_url()), (_("Archive"), None)],
            ),
        )
    services.archive_metric(metric=metric)
    messages.success(request, f"“{metric}” is archived: it keeps its history and takes no new readings.")
    return redirect(metric)


def reading_create(request):
    """Record one reading; the choices offered are those access.can_record_reading may accept, which
    record_readings then asks of the metric and person chosen."""
    metrics = selectors.recordable_metrics(request.user).select_related("department").order_by("name")
    people = (
        access.visible_people(request.user)
        .filter(is_active=True)
        .select_related("department")
        .order_by("last_name", "first_name")
    )
    initial = {"metric": request.GET.get("metric"), "person": request.user.pk}
    form = ReadingForm(request.POST or None, user=request.user, metrics=metrics, people=people, initial=initial)
    if not access.manages_any(request.user):
        form.fields["person"].widget = form.fields["person"].hidden_widget()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        metric = data["metric"]
        person = (data["person"] or request.user) if metric.per_person else None
        row = services.ReadingRow(
            metric=metric,
            person=person,
            measured_at=data["measured_at"],
            value=data["value"],
            denominator=data["denominator"],
            note=data["note"],
        )
        with form_errors_from(form) as refused:
            result = services.record_readings(
                rows=[row],
                recorded_by=request.user,
                source=Reading.Source.FORM,
                override_reason=data.get("override_reason", ""),
                nudge_rollup=False,  # rolled up below, or the worker nudged
            )
        if not refused:
            verb = "updated" if result.updated else "recorded"
            messages.success(request, f"Reading of “{metric}” {verb}.")
            if rollups.roll_up_now_if_free():
                return redirect(reverse("metrics:index"))
            # Another rollup runs (a rebuild, say): the worker has been nudged, and the card waits for it.
            query = urlencode({"metric": metric.pk, "through": rollup_progress.mark().isoformat()})
            return redirect(f"{reverse('metrics:index')}?{query}")
    return render(request, "metrics/reading_form.html", {"form": form})
