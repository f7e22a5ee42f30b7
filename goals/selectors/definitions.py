"""Reads behind the definition pages: the filtered list, acknowledgement figures, metrics a criterion may link."""

from django.db.models import Count, Exists, OuterRef, Q

from goals.models import QualityDefinition
from goals.selectors.visibility import visible_definitions
from goals.services.definitions import asked_now, with_versions
from metrics.models import Metric
from metrics.selectors.figures import visible_metrics
from org import access


def listed_definitions(user, *, scope: str, show_retired: bool):
    """The definitions the list shows the person, with their version numbers, ordered by title.

    Published definitions they may see, and drafts of departments they manage. scope "mine": those they are
    asked to acknowledge or created; "department": those of their department or serving it; anything else: all.
    Retired definitions only when show_retired.
    """
    queryset = with_versions(visible_definitions(user))
    queryset = queryset.filter(Q(current_major__isnull=False) | Q(department__in=access.managed_departments(user)))
    if not show_retired:
        queryset = queryset.active()
    if scope == "mine":
        asked_me = asked_now().filter(definition=OuterRef("pk"), person=user)
        queryset = queryset.filter(Q(Exists(asked_me)) | Q(created_by=user))
    elif scope == "department":
        serving = QualityDefinition.objects.filter(served_departments=user.department_id).values("pk")
        queryset = queryset.filter(Q(department_id=user.department_id) | Q(pk__in=serving))
    return queryset.order_by("title", "pk")


def mark_acknowledgement_states(user, definitions) -> None:
    """Set my_state ("pending", "acknowledged" or None) on each of the definitions, in one query.

    The state is the person's acknowledgement of the definition's current major version; None when they were not
    asked, or the definition is retired.
    """
    rows = (
        asked_now()
        .filter(person=user, definition__in=[d.pk for d in definitions])
        .values_list("definition_id", "major", "acknowledged_at")
    )
    states = {(d, major): "acknowledged" if at else "pending" for d, major, at in rows}
    for definition in definitions:
        state = states.get((definition.pk, definition.current_major))
        definition.my_state = None if definition.is_retired else state


def acknowledgement_totals(*, definition: QualityDefinition, major: int) -> dict[str, int]:
    """{"asked": people asked to acknowledge this major version, "acknowledged": those who did}, in one query.

    Only people the definition concerns now count (joiners and movers-in are asked first; leavers are not
    counted: goals.services.definitions.asked_now; the page asks newcomers first)."""
    return (
        asked_now()
        .filter(definition=definition, major=major)
        .aggregate(asked=Count("pk"), acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)))
    )


def linkable_metrics(user, definition: QualityDefinition | None):
    """Active metrics the person may see, and any metric the definition links already (kept on an edit)."""
    condition = Q(pk__in=visible_metrics(user).active().values("pk"))
    if definition is not None:
        condition |= Q(criteria__version__definition=definition)
    return Metric.objects.filter(condition).distinct().order_by("name")
