"""Who sees which definitions and goals: built on org.access, used by every goals view and export."""

from django.db.models import Q

from goals.models import Goal, QualityDefinition
from org import access


def _own_chain(user) -> list[int]:
    """The person's department and every department above it."""
    if not user.is_authenticated or not user.department_id:
        return []
    return [*user.department.ancestor_ids, user.department_id]


def visible_definitions(user):
    """Definitions of departments the user manages, of their own department and those above it, and those that
    serve their department (as an internal customer)."""
    if access.is_admin(user):
        return QualityDefinition.objects.all()
    chain = _own_chain(user)
    return QualityDefinition.objects.filter(
        Q(department__in=access.managed_departments(user))
        | Q(department_id__in=chain)
        | Q(served_departments__in=chain)
    ).distinct()


def manageable_definitions(user):
    """Definitions the user may edit, publish and retire: those of the departments they manage."""
    return QualityDefinition.objects.filter(department__in=access.managed_departments(user))


def visible_goals(user):
    """Organization goals, goals of the departments the user manages, and of their own department and above."""
    if access.is_admin(user):
        return Goal.objects.all()
    return Goal.objects.filter(
        Q(department__isnull=True)
        | Q(department__in=access.managed_departments(user))
        | Q(department_id__in=_own_chain(user))
    )


def manageable_goals(user):
    """Goals the user may edit: organization goals for admins, their departments' goals for managers."""
    if access.is_admin(user):
        return Goal.objects.all()
    return Goal.objects.filter(department__in=access.managed_departments(user))
