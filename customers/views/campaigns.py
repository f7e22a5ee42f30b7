"""Pages of reality-check campaigns: the list, creating one from a definition, its questions, the draw, sending.

Every campaign is fetched through customers.selectors.visibility (the departments the user manages); anything
else is a 404.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from core import periods
from core.forms import form_errors_from, message_from
from customers.forms.campaigns import CampaignForm, DrawForm, ExtrasForm, QuestionFormSet
from customers.forms.public import AnswerForm
from customers.models import Campaign, Customer
from customers.selectors import campaigns as campaign_selectors
from customers.selectors import visibility as selectors
from customers.services import campaigns as services
from customers.services import sampling
from customers.services.invitations import REMINDER_DAYS, answer_link, compose
from org import access
from org.selectors import sender_on_behalf


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


RECIPIENTS_PER_PAGE = 25


def campaign_detail(request, pk):
    """The campaign: its questions, the draw (who was excluded and why), the sample by name (a page of it), how
    far the invitations went and response rates per segment. At most 12 queries on any page of the sample."""
    campaign = _campaign_for(request.user, pk)
    try:
        results_url = reverse("customers:campaign_results", args=[campaign.pk])
    except NoReverseMatch:  # the results pages are optional
        results_url = None
    internal = campaign.audience == Customer.Kind.INTERNAL
    sample = Paginator(campaign_selectors.sampled(campaign), RECIPIENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "customers/campaign_detail.html",
        {
            "campaign": campaign,
            "internal": internal,
            "questions": list(campaign.questions.all()),
            "results_url": results_url,
            "delivery": campaign_selectors.delivery(campaign),
            "rates": campaign_selectors.segment_rates(campaign) if campaign.draw_audit else [],
            "exclusions": campaign_selectors.exclusions(campaign),
            "sample": sample,
            "audit": campaign.draw_audit,
            "last_day": periods.last_day_before(sampling.link_expiry(campaign)),
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


def _confirm(request, **context):
    return render(request, "customers/confirm.html", context)


def _crumbs(campaign):
    return [(gettext("Reality checks"), reverse("customers:campaigns")), (campaign.title, campaign.get_absolute_url())]


def campaign_draw(request, pk):
    """GET: what the draw will do (how many, from whom, who is left out and why), with the seed under "Reproduce a
    draw"; POST: draw. A draw cannot be redone, so it is asked once here and never from the campaign page."""
    campaign = _campaign_for(request.user, pk)
    if campaign.status != Campaign.Status.DRAFT or campaign.drawn_at is not None:
        messages.info(request, gettext("The sample of this campaign was already drawn."))
        return redirect(campaign)
    form = DrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with message_from(request) as refused:
            audit = sampling.draw_sample(campaign=campaign, seed=form.cleaned_data["seed"])
        if not refused:
            messages.success(
                request,
                gettext("%(drawn)s drawn from %(eligible)s eligible (seed %(seed)s). Nobody has been contacted yet.")
                % {"drawn": f"{audit['drawn']:,}", "eligible": f"{audit['eligible']:,}", "seed": audit["seed"]},
            )
        return redirect(campaign)
    forecast = sampling.draw_forecast(campaign=campaign)
    what = gettext("people") if campaign.audience == Customer.Kind.INTERNAL else gettext("customers")
    size = forecast["sample_size"]
    n = forecast["excluded"]
    left_out = gettext(
        "leave out those who opted out (%(opted_out)s), have no e-mail address (%(no_email)s) or were asked within "
        "the last %(days)s days (%(recently_asked)s)"
    ) % {**{k: f"{v:,}" for k, v in n.items()}, "days": campaign.exclude_days}
    consequences = [
        (
            gettext("choose %(size)s of the %(eligible)s eligible %(what)s of %(department)s at random")
            % {
                "size": f"{size:,}",
                "eligible": f"{forecast['eligible']:,}",
                "what": what,
                "department": campaign.department.name,
            }
            if size
            else gettext("fail: the sample (%(wanted)s) is larger than the %(eligible)s eligible %(what)s")
            % {
                "wanted": campaign.sample_size or f"{campaign.sample_percent or 0:g}%",
                "eligible": forecast["eligible"],
                "what": what,
            }
        ),
        left_out,
        gettext("contact nobody: you send the invitations in a separate step, after checking the sample"),
    ]
    if campaign.stratify_by_segment:
        consequences.insert(1, gettext("give every segment a share in proportion to its eligible size"))
    return _confirm(
        request,
        heading=gettext("Draw the sample of “%(title)s”?") % {"title": campaign.title},
        crumbs=_crumbs(campaign),
        consequences=consequences,
        breakdown={
            "head": [gettext("Segment"), gettext("Eligible")],
            "rows": [(segment or gettext("(none)"), f"{n:,}") for segment, n in forecast["by_segment"].items()],
        }
        if forecast["by_segment"]
        else None,
        breakdown_caption=gettext("Eligible per segment"),
        irreversible=gettext(
            "A draw cannot be redone: a second draw would not be the random sample the first one reported."
        ),
        action=reverse("customers:campaign_draw", args=[campaign.pk]),
        form=form,
        form_template="customers/_draw_seed.html",
        button=gettext("Draw the sample"),
        cancel=campaign.get_absolute_url(),
    )


def campaign_send(request, pk):
    """GET: what sending does (how many, which segments, the subject, the sender, the last day of the link) with
    the previews; POST: send. Sending cannot be undone, so it is asked once here."""
    campaign = _campaign_for(request.user, pk)
    if request.method == "POST":
        with message_from(request) as refused:
            count = services.send_campaign(by=request.user, campaign=campaign)
        if not refused:
            messages.success(
                request,
                ngettext(
                    "Sending started: %(count)s invitation is queued and goes out within a few minutes. The figures "
                    "below show how far it got.",
                    "Sending started: %(count)s invitations are queued and go out within a few minutes. The figures "
                    "below show how far they got.",
                    count,
                )
                % {"count": f"{count:,}"},
            )
        return redirect(campaign)
    if campaign.status != Campaign.Status.DRAFT or campaign.drawn_at is None:
        messages.info(request, gettext("Only a drawn draft campaign can be sent."))
        return redirect(campaign)
    rates = campaign_selectors.segment_rates(campaign)
    total = sum(r.drawn for r in rates)
    what = gettext("people") if campaign.audience == Customer.Kind.INTERNAL else gettext("customers")
    last_day = periods.last_day_before(sampling.link_expiry(campaign))
    return _confirm(
        request,
        heading=gettext("Send “%(title)s” to %(count)s %(what)s?")
        % {"title": campaign.title, "count": f"{total:,}", "what": what},
        crumbs=_crumbs(campaign),
        consequences=[
            gettext("e-mail %(count)s %(what)s in %(segments)s segment(s), from “%(sender)s”, subject “%(subject)s”")
            % {
                "count": f"{total:,}",
                "what": what,
                "segments": len(rates),
                "sender": sender_on_behalf(),
                "subject": campaign.customer_title,
            },
            gettext("give each a single-use link that works until the end of %(day)s")
            % {"day": date_format(last_day, "j F Y")},
            gettext("remind those who have not answered after %(first)s and %(second)s days, at most twice")
            % {"first": REMINDER_DAYS[0], "second": REMINDER_DAYS[1]},
            gettext("freeze the questions and the sample"),
        ],
        breakdown={
            "head": [gettext("Segment"), gettext("Recipients")],
            "rows": [(r.segment or gettext("(none)"), f"{r.drawn:,}") for r in rates],
        },
        breakdown_caption=gettext("Recipients per segment"),
        irreversible=gettext("E-mails cannot be called back once sent."),
        links=[
            (gettext("Preview the e-mail"), reverse("customers:campaign_preview_email", args=[campaign.pk])),
            (gettext("Preview the answer page"), reverse("customers:campaign_preview_answer", args=[campaign.pk])),
        ],
        action=reverse("customers:campaign_send", args=[campaign.pk]),
        button=gettext("Send to %(count)s %(what)s") % {"count": f"{total:,}", "what": what},
        button_class="btn-success",
        cancel=campaign.get_absolute_url(),
    )


def _sample_person(campaign) -> str:
    first = campaign.recipients.select_related("customer", "person").order_by("pk").first()
    if first is None:
        return gettext("Jo Example")
    return first.person.get_full_name() if first.person_id else first.customer.name


def campaign_preview_email(request, pk):
    """The invitation exactly as the first recipient would get it (a placeholder link), and the reminder's subject."""
    campaign = _campaign_for(request.user, pk)
    name = _sample_person(campaign)
    link = answer_link("preview-link-not-a-real-one")
    message = compose(campaign=campaign, name=name, link=link, expires_at=sampling.link_expiry(campaign))
    reminder = compose(campaign=campaign, name=name, link=link, expires_at=sampling.link_expiry(campaign), reminder=1)
    return render(
        request,
        "customers/campaign_preview_email.html",
        {"campaign": campaign, "message": message, "reminder": reminder, "name": name, "crumbs": _crumbs(campaign)},
    )


def campaign_preview_answer(request, pk):
    """The answer page as the people asked will see it; its buttons do nothing."""
    campaign = _campaign_for(request.user, pk)
    questions = list(campaign.questions.all())
    return render(
        request,
        "customers/answer_form.html",
        {
            "form": AnswerForm(campaign=campaign, questions=questions),
            "campaign": campaign,
            "version": campaign.version,
            "expires_at": sampling.link_expiry(campaign),
            "preview": True,
            "preview_back": campaign.get_absolute_url(),
        },
    )
