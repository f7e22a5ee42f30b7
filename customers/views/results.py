"""Results of reality checks: the gap per criterion, scores and comments, follow-ups, the internal customer map."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.forms import form_errors_from, message_from
from customers.forms.results import FollowUpFilterForm, FollowUpForm
from customers.models import Customer, FollowUp
from customers.selectors import results
from customers.selectors import visibility as selectors
from customers.services import results as result_services
from goals.models import GoalCycle
from goals.selectors.cycles import running_cycle
from org import access


def _campaign_for(user, pk):
    """A campaign of a department the user manages; 404 for anything else."""
    return access.get_visible_or_404(
        selectors.visible_campaigns(user).select_related("department", "definition", "version"),
        "No such campaign.",
        pk=pk,
    )


def _goal_link(campaign, start: result_services.GapGoalStart, cycle: GoalCycle | None) -> str:
    """The goal create page for the campaign's department, measured on the criterion's gap: its title and
    description name the criterion, its metric follows the gap, its baseline is the gap this campaign measured
    (so it starts at 0 %) and its target is a gap of 0."""
    q = start.question
    params = {
        "department": campaign.department_id,
        "title": f"Close the gap on “{q.promise}”"[:200],
        "description": results.gap_summary(results.campaign_results(campaign, with_trend=False), q),
        "quality_definition": campaign.definition_id,
        "metric": start.metric.pk,
        "baseline": f"{start.baseline:g}",
        "target": f"{start.target:g}",
    }
    if cycle is not None:
        params = {"cycle": cycle.pk, **params}
    return reverse("goals:goal_create") + "?" + urlencode(params)


@require_POST
def goal_from_gap(request, pk):
    """Start a goal on a criterion's gap (the largest unless the form names one): its gap metric gets this
    campaign's reading, then the goal form opens pre-filled with it as the baseline."""
    campaign = _campaign_for(request.user, pk)
    question = request.POST.get("question", "")
    with message_from(request, prefix="No goal can be started from this gap: ") as refused:
        start = result_services.start_gap_goal(
            campaign=campaign, by=request.user, question_id=int(question) if question.isdigit() else None
        )
    if refused:
        return redirect("customers:campaign_results", campaign.pk)
    return redirect(_goal_link(campaign, start, running_cycle()))


def index(request):
    """The campaigns the person may see results of, newest first."""
    campaigns = (
        selectors.visible_campaigns(request.user)
        .launched()
        .select_related("department", "definition")
        .order_by("-ends_on", "-pk")
    )
    access.require(access.manages_any(request.user), "Results are for managers.")
    page = Paginator(campaigns, 25).get_page(request.GET.get("page"))
    return render(request, "customers/result_index.html", {"page_obj": page})


def _trend_chart(trend: list[results.TrendPoint]) -> dict:
    """The data keel-charts.js draws: one line of gap scores per campaign."""
    return {
        "labels": [f"{p.ends_on:%b %Y}" for p in trend],
        "values": [p.gap for p in trend],
        "department": [],
        "target": [None for _p in trend],
        "unit": "points",
        "decimals": 0,
    }


def campaign_results(request, pk):
    campaign = _campaign_for(request.user, pk)
    found = results.campaign_results(campaign)
    cycle = None if found.hidden else running_cycle()
    return render(
        request,
        "customers/result_campaign.html",
        {
            "campaign": campaign,
            "results": found,
            "cycle": cycle,
            "trend_chart": _trend_chart(found.trend),
            "internal": campaign.audience == Customer.Kind.INTERNAL,
        },
    )


@require_POST
def record_scores(request, pk):
    campaign = _campaign_for(request.user, pk)
    with message_from(request, prefix="The scores were not recorded: ") as refused:
        written = result_services.record_campaign_scores(campaign=campaign, by=request.user)
    if not refused:
        if written:
            messages.success(
                request,
                f"Recorded {written} score{'s' if written != 1 else ''} as readings of "
                f"{campaign.department}'s reality-check metrics.",
            )
        else:
            messages.info(request, "There is nothing to record yet: no scores can be shown for this campaign.")
    return redirect("customers:campaign_results", campaign.pk)


@require_POST
def propose_revision(request, pk):
    campaign = _campaign_for(request.user, pk)
    found = results.campaign_results(campaign, with_trend=False)
    with message_from(request) as refused:
        result_services.propose_revision(campaign=campaign, by=request.user)
    if refused:
        return redirect("customers:campaign_results", campaign.pk)
    messages.info(
        request,
        "A revision draft is open. " + results.gap_summary(found) + " Change the promise or its "
        "criteria so that it can be kept, then publish it.",
    )
    return redirect("goals:definition_edit", campaign.definition_id)


def follow_up_list(request):
    """Follow-ups of the departments the person manages and those they own; open first, with time to close."""
    access.require(
        access.manages_any(request.user) or FollowUp.objects.filter(owner=request.user).shown().exists(),
        "Follow-ups are for managers and their owners.",
    )
    form = FollowUpFilterForm(request.GET or None)
    form.is_valid()
    wanted = form.cleaned_data if form.is_bound and form.is_valid() else {}
    status = wanted.get("status") or "open"
    follow_ups, stats = results.listed_follow_ups(
        request.user, campaign_id=wanted.get("campaign"), mine=bool(wanted.get("mine")), status=status
    )
    page = Paginator(follow_ups, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "customers/follow_up_list.html",
        {
            "page_obj": page,
            "stats": stats,
            "status": status,
            "form": form,
        },
    )


def follow_up_edit(request, pk):
    follow_up = access.get_visible_or_404(
        selectors.visible_follow_ups(request.user).select_related(
            "campaign", "department", "owner", "question", "response__recipient__customer"
        ),
        "No such follow-up.",
        pk=pk,
    )
    form = FollowUpForm(request.POST or None, instance=FollowUp.objects.get(pk=follow_up.pk))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with form_errors_from(form) as refused:
            result_services.update_follow_up(
                follow_up=follow_up,
                by=request.user,
                owner=data["owner"],
                due_date=data["due_date"],
                status=data["status"],
                resolution=data["resolution"],
            )
        if not refused:
            messages.success(request, f"Follow-up saved ({follow_up.get_status_display().lower()}).")
            return redirect("customers:follow_ups")
    return render(
        request,
        "customers/follow_up_form.html",
        {
            "form": form,
            "follow_up": follow_up,
            "internal": follow_up.campaign.audience == Customer.Kind.INTERNAL,
        },
    )


def internal_map(request):
    edges = results.internal_map(request.user)
    return render(request, "customers/internal_map.html", {"edges": edges, "minimum": results.INTERNAL_MINIMUM})
