"""Pages of reality-check campaigns: the list, creating one from a definition, its questions, the draw, sending.

Every campaign is fetched through customers.selectors.visibility (the departments the user manages); anything
else is a 404.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from core.forms import form_errors_from, message_from
from customers.forms.campaigns import CampaignForm, DrawForm, ExtrasForm, QuestionFormSet
from customers.models import Campaign
from customers.selectors import visibility as selectors
from customers.services import campaigns as services
from customers.services import sampling
from org import access


def _campaign_for(user, pk) -> Campaign:
    return access.get_visible_or_404(
        selectors.visible_campaigns(user).select_related("department", "definition", "version"),
        "No such campaign.",
        pk=pk,
    )


def campaign_list(request):
    campaigns = (
        selectors.visible_campaigns(request.user)
        .select_related("department", "definition")
        .order_by("-created_at")[:200]
    )
    return render(
        request,
        "customers/campaign_list.html",
        {"campaigns": campaigns, "is_manager": access.managed_departments(request.user).exists()},
    )


def campaign_create(request):
    access.require(access.managed_departments(request.user).exists(), "Only managers run reality checks.")
    form = CampaignForm(request.POST or None, user=request.user, initial={"definition": request.GET.get("definition")})
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form) as refused:
            campaign = services.create_campaign(by=request.user, **form.cleaned_data)
        if not refused:
            messages.success(request, "Campaign created. Check the questions, then draw the sample.")
            return redirect(campaign)
    return render(request, "customers/campaign_form.html", {"form": form})


def campaign_detail(request, pk):
    campaign = _campaign_for(request.user, pk)
    try:
        results_url = reverse("customers:campaign_results", args=[campaign.pk])
    except NoReverseMatch:  # the results pages are optional
        results_url = None
    recipients = campaign.recipients.all()
    return render(
        request,
        "customers/campaign_detail.html",
        {
            "campaign": campaign,
            "questions": list(campaign.questions.all()),
            "results_url": results_url,
            "recipient_count": recipients.count(),
            "sent_count": recipients.filter(sent_at__isnull=False).count(),
            "draw_form": DrawForm(),
            "audit": campaign.draw_audit,
        },
    )


def campaign_questions(request, pk):
    campaign = _campaign_for(request.user, pk)
    if campaign.status != Campaign.Status.DRAFT:
        messages.info(request, "This campaign was sent; its questions can no longer change.")
        return redirect(campaign)
    initial = [
        {"promise": q.promise, "prompt": q.prompt, "criterion_id": q.criterion_id} for q in campaign.questions.all()
    ]
    formset = QuestionFormSet(request.POST or None, initial=initial, prefix="q")
    extras = ExtrasForm(
        request.POST or None, initial={"include_nps": campaign.include_nps, "include_csat": campaign.include_csat}
    )
    if request.method == "POST" and formset.is_valid() and extras.is_valid():
        rows = [
            services.QuestionRow(
                promise=f.cleaned_data.get("promise", ""),
                prompt=f.cleaned_data.get("prompt", ""),
                criterion_id=f.cleaned_data.get("criterion_id"),
            )
            for f in formset.forms
            if f.cleaned_data
        ]
        with form_errors_from(extras, on_field=False) as refused:
            services.save_questions(by=request.user, campaign=campaign, rows=rows, **extras.cleaned_data)
        if not refused:
            messages.success(request, "Questions saved.")
            return redirect(campaign)
    return render(
        request, "customers/campaign_questions.html", {"campaign": campaign, "formset": formset, "extras": extras}
    )


@require_POST
def campaign_draw(request, pk):
    campaign = _campaign_for(request.user, pk)
    form = DrawForm(request.POST)
    if form.is_valid():
        with message_from(request) as refused:
            audit = sampling.draw_sample(campaign=campaign, seed=form.cleaned_data["seed"])
        if not refused:
            messages.success(
                request, f"{audit['drawn']:,} drawn from {audit['eligible']:,} eligible, seed {audit['seed']}."
            )
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(campaign)


@require_POST
def campaign_send(request, pk):
    campaign = _campaign_for(request.user, pk)
    with message_from(request) as refused:
        count = services.send_campaign(by=request.user, campaign=campaign)
    if not refused:
        messages.success(request, f"Sent: {count:,} invitations are on their way.")
    return redirect(campaign)
