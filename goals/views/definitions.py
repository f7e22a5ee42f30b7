"""Pages of quality definitions: the list, a definition with its history and differences, writing, publishing and
retiring one, acknowledging it, and who has acknowledged it."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core import confirmation
from core.confirmation import Confirmation
from core.exceptions import RuleViolation
from core.forms import add_violation, form_errors_from, message_from
from core.redirects import safe_target
from goals.forms.definitions import CriterionFormSet, DefinitionForm, ListFilterForm, PublishForm
from goals.models import QualityDefinition
from goals.selectors import definitions as listing
from goals.selectors import visibility as selectors
from goals.services import definitions
from org import access

PAGE_SIZE = 25
MISSING_PAGE_SIZE = 50


def _definition_for(user, pk, *, manage: bool = False) -> QualityDefinition:
    """The definition if the user may see it (or manage it), with its current version number; 404 otherwise.

    A definition never published is a manager's draft: only those who may manage it see it.
    """
    queryset = selectors.manageable_definitions(user) if manage else selectors.visible_definitions(user)
    definition = access.get_visible_or_404(
        definitions.with_versions(queryset).select_related("retired_by"), "No such definition.", pk=pk
    )
    access.require(
        definition.current_major is not None or access.can_manage(user, definition.department), "No such definition."
    )
    return definition


def index(request):
    user = request.user
    definitions.ask_newcomers(person=user)  # definitions that came to concern them since they were published
    filters = ListFilterForm(request.GET or None)
    scope, show_retired = filters.value("scope", "all"), filters.value("retired", False)
    queryset = listing.listed_definitions(user, scope=scope, show_retired=show_retired)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    listing.mark_acknowledgement_states(user, page)
    return render(
        request,
        "goals/definition_list.html",
        {
            "page": page,
            "filters": filters,
            "scope": scope,
            "show_retired": show_retired,
            "scopes": ListFilterForm.SCOPES,
            "can_write": access.manages_any(user),
        },
    )


def _chosen(request, name, versions):
    try:
        return versions.get(int(request.GET.get(name, "")))
    except ValueError:
        return None


def detail(request, pk):
    user = request.user
    definition = _definition_for(user, pk)
    can_manage = access.can_manage(user, definition.department)
    versions = definitions.versions_of(definition)
    published = [v for v in versions if not v.is_draft]
    draft = next((v for v in versions if v.is_draft), None) if can_manage and not definition.is_retired else None
    current = published[0] if published else None
    comparable = {v.pk: v for v in [*published, *([draft] if draft else [])]}
    old, new = _chosen(request, "from", comparable), _chosen(request, "to", comparable)
    if (old is None or new is None) and len(published) >= 2:
        old, new = published[1], published[0]
    mine = totals = None
    if current is not None:
        mine = definitions.acknowledgement_of(definition=definition, person=user, major=current.major)
        if can_manage:
            definitions.ask_newcomers(definition=definition)
            totals = listing.acknowledgement_totals(definition=definition, major=current.major)
    return render(
        request,
        "goals/definition_detail.html",
        {
            "definition": definition,
            "can_manage": can_manage,
            "current": current,
            "draft": draft,
            "history": [(v, published[n + 1] if n + 1 < len(published) else None) for n, v in enumerate(published)],
            "comparable": list(comparable.values()),
            "diff": definitions.diff_versions(old, new) if old and new and old != new else None,
            "mine": mine,
            "pending": mine is not None and mine.acknowledged_at is None and not definition.is_retired,
            "totals": totals,
            "served": list(definition.served_departments.order_by("path")),
        },
    )


def _write(request, definition: QualityDefinition | None):
    user = request.user
    base = None
    if definition is not None:
        base = definitions.draft_of(definition) or definitions.current_version(definition)
    initial = {}
    if definition is not None:
        initial = {
            "title": definition.title,
            "external_customers": definition.external_customers,
            "served_departments": list(definition.served_departments.all()),
            "ask_served_departments": definition.ask_served_departments,
            "promise": base.promise if base else "",
        }
    form = DefinitionForm(request.POST or None, user=user, definition=definition, initial=initial)
    criteria = CriterionFormSet(
        request.POST or None,
        prefix="criteria",
        form_kwargs={"metrics": listing.linkable_metrics(user, definition)},
        initial=[
            {"text": c.text, "metric": c.metric_id, "threshold": c.threshold}
            for c in (base.criteria.all() if base else [])
        ],
    )
    criteria_error = None
    if request.method == "POST" and form.is_valid() and criteria.is_valid():
        data = form.cleaned_data
        details = {
            "title": data["title"],
            "external_customers": data["external_customers"],
            "served_departments": data["served_departments"],
            "ask_served_departments": data["ask_served_departments"],
        }
        try:
            if definition is None:
                saved = definitions.create_definition(
                    by=user, department=data["department"], **details, promise=data["promise"], criteria=criteria.rows()
                )
                draft = True
            else:
                saved, draft = definitions.revise_definition(
                    definition=definition, by=user, **details, promise=data["promise"], criteria=criteria.rows()
                )
        except RuleViolation as error:  # a criterion's error shows above the criteria, not above the form
            if error.field == "criteria":
                criteria_error = error.message
            else:
                add_violation(form, error)
        else:
            if draft:
                messages.success(request, f"Draft of “{saved}” saved. Publish it when it is ready.")
            else:
                messages.success(
                    request,
                    f"“{saved}” saved. Its content is the same as the current version, so there is nothing to publish.",
                )
            return redirect(saved)
    return render(
        request,
        "goals/definition_form.html",
        {
            "form": form,
            "criteria": criteria,
            "criteria_error": criteria_error,
            "definition": definition,
            "base": base,
        },
    )


def create(request):
    access.require(access.manages_any(request.user), "Only managers write quality definitions.")
    return _write(request, None)


def _refuse_if_retired(request, definition):
    if definition.is_retired:
        messages.error(request, f"“{definition}” is retired: it stays readable but can no longer change.")
        return redirect(definition)
    return None


def edit(request, pk):
    definition = _definition_for(request.user, pk, manage=True)
    return _refuse_if_retired(request, definition) or _write(request, definition)


def publish(request, pk):
    user = request.user
    definition = _definition_for(user, pk, manage=True)
    refused = _refuse_if_retired(request, definition)
    if refused:
        return refused
    versions = definitions.versions_of(definition)
    draft = next((v for v in versions if v.is_draft), None)
    current = next((v for v in versions if not v.is_draft), None)
    if draft is None:
        messages.info(request, "There are no changes to publish: edit the definition first.")
        return redirect("goals:definition_edit", definition.pk)
    form = PublishForm(request.POST or None, first=current is None)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form) as refused:
            publication = definitions.publish(
                definition=definition, major=form.major, by=user, change_summary=form.cleaned_data["change_summary"]
            )
        if not refused:
            asked = publication.asked
            messages.success(
                request,
                f"Published {publication.version.label}. "
                + (
                    f"{asked} {'person is' if asked == 1 else 'people are'} asked to acknowledge it."
                    if asked
                    else "Nobody is asked to acknowledge it again."
                ),
            )
            return redirect(definition)
    return render(
        request,
        "goals/definition_publish.html",
        {
            "definition": definition,
            "draft": draft,
            "current": current,
            "form": form,
            "diff": definitions.diff_versions(current, draft) if current else None,
            # Who a major version (or the first) asks to acknowledge: the same audience publish() asks.
            "audience_count": definitions.audience(definition).count(),
        },
    )


def retire(request, pk):
    definition = _definition_for(request.user, pk, manage=True)
    refused = _refuse_if_retired(request, definition)
    if refused:
        return refused
    if request.method == "POST":
        with message_from(request) as refused:
            definitions.retire(definition=definition, by=request.user)
        if not refused:
            messages.success(request, f"“{definition}” is retired. It stays readable with its history.")
        return redirect(definition)
    waiting = (
        definitions.asked_now().filter(definition=definition, acknowledged_at__isnull=True).values("person").distinct()
    ).count()
    return confirmation.render(
        request,
        Confirmation(
            title=_("Retire “%(definition)s”?") % {"definition": definition},
            action=reverse("goals:definition_retire", args=[definition.pk]),
            button=_("Retire it"),
            cancel_url=definition.get_absolute_url(),
            cancel_label=_("Keep it"),
            effects=[
                _(
                    "Retire a definition when the product or service no longer exists or another definition "
                    "replaces it."
                ),
                _("It stays readable with its whole history, but it can no longer change."),
                ngettext(
                    "%(n)d person who has not acknowledged it yet is no longer asked to.",
                    "%(n)d people who have not acknowledged it yet are no longer asked to.",
                    waiting,
                )
                % {"n": waiting},
            ],
            warning=_("This cannot be undone here."),
            breadcrumbs=[
                (_("Definitions"), reverse("goals:definitions")),
                (str(definition), definition.get_absolute_url()),
                (_("Retire"), None),
            ],
        ),
    )


@require_POST
def acknowledge(request, pk):
    definition = _definition_for(request.user, pk)
    row = error = None
    try:
        row = definitions.acknowledge(definition=definition, person=request.user)
    except RuleViolation as violation:  # shown in the replaced fragment, or as a message on the next page
        error = violation.message
    if request.htmx:
        return render(
            request, "goals/_definition_acknowledged.html", {"definition": definition, "row": row, "error": error}
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Thank you: you acknowledged “{definition}” version {row.major}.")
    return redirect(safe_target(request, request.POST.get("next")) or definition)


def coverage(request, pk):
    definition = _definition_for(request.user, pk, manage=True)
    if definition.current_major is None:
        messages.info(request, "Nobody is asked to acknowledge a definition before it is published.")
        return redirect(definition)
    major = definition.current_major
    rows = definitions.coverage(definition=definition, major=major)
    shown = {r.department_id: r for r in rows}
    try:
        department = shown.get(int(request.GET.get("department", "")))
    except ValueError:
        department = None
    missing = definitions.missing_acknowledgements(
        definition=definition, major=major, department_id=department.department_id if department else None
    )
    return render(
        request,
        "goals/definition_coverage.html",
        {
            "definition": definition,
            "major": major,
            "rows": rows,
            "department": department,
            "asked": sum(r.asked for r in rows),
            "acknowledged": sum(r.acknowledged for r in rows),
            "missing": Paginator(missing, MISSING_PAGE_SIZE).get_page(request.GET.get("page")),
            "coverage_url": reverse("goals:definition_coverage", args=[definition.pk]),
        },
    )
