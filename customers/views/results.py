"""Results of reality checks: the gap per criterion, scores and comments, follow-ups, the internal customer map."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from core.forms import form_errors_from, message_from
from customers.forms.results import FollowUpBulkForm, FollowUpFilterForm, FollowUpForm
from customers.models import Answer, Customer, FollowUp
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
    # isdigit() alone lets "²" and 5,000-digit numbers through, which int() refuses (a 500): ASCII, 18 digits at most.
    readable = question.isascii() and question.isdigit() and len(question) <= 18
    with message_from(request, prefix="No goal can be started from this gap: ") as refused:
        start = result_services.start_gap_goal(
            campaign=campaign, by=request.user, question_id=int(question) if readable else None
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
            "bulk_form": FollowUpBulkForm(user=request.user) if access.manages_any(request.user) else None,
        },
    )


def follow_up_edit(request, pk):
    """A follow-up with its whole context (the campaign and its promise, the customer, the answers that opened it,
    the other answers and scores, the comment) and the form to change it. Internal campaigns below the anonymity
    minimum are a 404 (visible_follow_ups); above it the colleague stays unnamed."""
    follow_up = access.get_visible_or_404(
        selectors.visible_follow_ups(request.user).select_related(
            "campaign__version", "campaign__department", "department", "owner", "response__recipient__customer"
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
    answers = list(follow_up.response.answers.select_related("question").order_by("question__position", "pk"))
    return render(
        request,
        "customers/follow_up_form.html",
        {
            "form": form,
            "follow_up": follow_up,
            "response": follow_up.response,
            "low_answers": [a for a in answers if a.comparison == Answer.Comparison.WORSE],
            "other_answers": [a for a in answers if a.comparison != Answer.Comparison.WORSE],
            "internal": follow_up.campaign.audience == Customer.Kind.INTERNAL,
        },
    )


def follow_up_bulk(request):
    """Assign or close the follow-ups chosen on the list. The list's form posts here and gets a confirmation page
    that says how many and which departments; its button posts again with `confirmed`. Follow-ups of departments
    the person does not manage are left alone (and counted)."""
    access.require(access.manages_any(request.user), "Only managers change follow-ups in bulk.")
    if request.method != "POST":
        return redirect("customers:follow_ups")
    form = FollowUpBulkForm(request.POST, user=request.user)
    if not form.is_valid():
        errors = " ".join(e for field in form.errors.values() for e in field)
        messages.error(request, f"Nothing was changed. {errors}")
        return redirect("customers:follow_ups")
    data = form.cleaned_data
    if request.POST.get("confirmed") == "1":
        with message_from(request, prefix="Nothing was changed: ") as refused:
            outcome = result_services.bulk_change_follow_ups(
                by=request.user,
                ids=data["ids"],
                action=data["action"],
                owner=data["owner"],
                resolution=data["resolution"],
            )
        if not refused:
            done = (
                ngettext("%(n)s follow-up closed", "%(n)s follow-ups closed", outcome.changed)
                if data["action"] == result_services.BULK_CLOSE
                else ngettext(
                    "%(n)s follow-up assigned to %(owner)s", "%(n)s follow-ups assigned to %(owner)s", outcome.changed
                )
            ) % {"n": outcome.changed, "owner": data["owner"].display_name if data["owner"] else ""}
            if outcome.skipped:
                done += ngettext(
                    "; %(n)s left as it was (not yours to change, already closed, or the owner is not in its "
                    "department)",
                    "; %(n)s left as they were (not yours to change, already closed, or the owner is not in their "
                    "department)",
                    outcome.skipped,
                ) % {"n": outcome.skipped}
            messages.success(request, done + ".")
        return redirect("customers:follow_ups")
    chosen = result_services.managed_follow_ups(by=request.user, ids=data["ids"])
    if data["action"] == result_services.BULK_CLOSE:
        chosen = chosen.open()
    per_department = list(chosen.values("department__name").annotate(n=Count("pk")).order_by("department__name"))
    count = sum(row["n"] for row in per_department)
    skipped = len(set(data["ids"])) - count
    if data["action"] == result_services.BULK_CLOSE:
        heading = ngettext("Close %(n)s follow-up?", "Close %(n)s follow-ups?", count) % {"n": count}
        consequences = [
            gettext("close them with the note “%(note)s”") % {"note": data["resolution"].strip()},
            gettext("take them off everyone's open list; each can be reopened one by one from its page"),
        ]
        button = ngettext("Close %(n)s follow-up", "Close %(n)s follow-ups", count) % {"n": count}
    else:
        heading = ngettext("Assign %(n)s follow-up?", "Assign %(n)s follow-ups?", count) % {"n": count}
        consequences = [
            gettext("make %(owner)s their owner (those of a department %(owner)s is not in stay as they are)")
            % {"owner": data["owner"].display_name}
        ]
        button = ngettext("Assign %(n)s follow-up", "Assign %(n)s follow-ups", count) % {"n": count}
    if skipped:
        consequences.append(
            ngettext(
                "leave %(n)s chosen one alone: not yours to change, or already closed",
                "leave %(n)s chosen ones alone: not yours to change, or already closed",
                skipped,
            )
            % {"n": skipped}
        )
    hidden = [("ids", pk) for pk in data["ids"]] + [("action", data["action"])]
    if data["owner"]:
        hidden.append(("owner", data["owner"].pk))
    if data["resolution"]:
        hidden.append(("resolution", data["resolution"]))
    return render(
        request,
        "customers/confirm.html",
        {
            "heading": heading,
            "crumbs": [(gettext("Follow-ups"), reverse("customers:follow_ups"))],
            "consequences": consequences,
            "breakdown": {
                "head": [gettext("Department"), gettext("Follow-ups")],
                "rows": [(row["department__name"], row["n"]) for row in per_department],
            },
            "breakdown_caption": gettext("Chosen follow-ups per department"),
            "action": reverse("customers:follow_up_bulk"),
            "hidden": hidden,
            "button": button,
            "cancel": reverse("customers:follow_ups"),
        },
    )


def internal_map(request):
    edges = results.internal_map(request.user)
    return render(request, "customers/internal_map.html", {"edges": edges, "minimum": results.INTERNAL_MINIMUM})
