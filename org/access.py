"""Who may see and change what. Every view and queryset asks here; nothing re-implements these rules.

- Admin (staff): everything.
- Manager: the departments they manage and every department below them.
- Employee: their own department, their own figures.

One denial policy: whatever a person may not see or change, an object or a whole page, is a 404 ("not found"),
never a 403, so a denial does not confirm that the object exists. Views fetch objects by id through
get_visible_or_404() with a queryset already narrowed to the person, and refuse the rest with require().
(The Django admin site is the exception: it answers 403 to people who are not staff.)
"""

from typing import NoReturn

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404

from org.models import Department, User
from org.paths import path_within

ADMIN, MANAGER, EMPLOYEE = "admin", "manager", "employee"
ROLE_LABELS = {ADMIN: "Admin", MANAGER: "Manager", EMPLOYEE: "Employee"}


def is_admin(user) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_staff or user.is_superuser))


def managed_paths(user) -> list[str]:
    """Paths of the departments the user manages directly; one query, cached on the user object."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_keel_managed_paths", None)
    if cached is None:
        cached = list(Department.objects.filter(managers=user).values_list("path", flat=True))
        user._keel_managed_paths = cached
    return cached


def role(user) -> str:
    if is_admin(user):
        return ADMIN
    return MANAGER if managed_paths(user) else EMPLOYEE


def managed_departments(user):
    """Departments the user may change: an admin all, a manager their departments and all below them."""
    if is_admin(user):
        return Department.objects.all()
    return Department.objects.subtrees(managed_paths(user))


def visible_departments(user):
    """Departments whose pages and people the user may see: the managed ones plus their own department."""
    if is_admin(user):
        return Department.objects.all()
    own = Department.objects.filter(pk=user.department_id) if user.department_id else Department.objects.none()
    paths = managed_paths(user)
    return own | Department.objects.subtrees(paths) if paths else own


def organization_chart(user):
    """The department tree every signed-in person may read: names, managers and head counts, no figures."""
    if not user.is_authenticated:
        return Department.objects.none()
    return Department.objects.all()


def can_manage(user, department: Department) -> bool:
    """May the user change the department's goals, metrics, definitions, customers and figures?"""
    if is_admin(user):
        return True
    return any(path_within(department.path, path) for path in managed_paths(user))


def can_see(user, department: Department) -> bool:
    return can_manage(user, department) or (user.is_authenticated and department.pk == user.department_id)


def manages_any(user) -> bool:
    """Admins and managers: the people who define metrics, set goals, run reality checks and read reports."""
    return role(user) != EMPLOYEE


def keeps_customers(user) -> bool:
    """May the user open the customer list, reality checks and their results? Admins and managers: customers
    belong to the departments a person manages, so an employee would only ever find an empty list."""
    return manages_any(user)


def dashboard_department(user, department: Department) -> Department | None:
    """The department whose dashboard a link about `department` should open for the user, or None (no link).

    The department itself when the user may see it; otherwise the user's own department when it lies below it
    (a metric set above an employee's team applies to the team, and the team's dashboard shows it: team figures
    only, never a colleague's own); otherwise None. Needs the user's department (one query unless loaded).
    """
    if can_see(user, department):
        return department
    own = user.department if user.is_authenticated and user.department_id else None
    if own is not None and path_within(own.path, department.path):
        return own
    return None


def can_record_reading(user, metric, person: User | None) -> bool:
    """May the user record a reading of `metric` (a metrics Metric) for `person` (None: the department's own)?

    Admins record anything. A manager of the metric's department records its department readings, and per-person
    readings of the people they manage. Anyone records their own readings of a per-person metric. Whether the
    metric applies to the person at all (their department under the metric's) is a rule of the reading, checked
    by metrics' record_readings, not an access question.
    """
    if is_admin(user):
        return True
    if can_manage(user, metric.department):
        return person is None or (person.department is not None and can_manage(user, person.department))
    return person is not None and person.pk == user.pk and metric.per_person


def require(allowed: bool, message: str) -> None:
    """Refuse with a 404 (the one denial policy) unless `allowed`; `message` says why, for logs and debug pages."""
    if not allowed:
        deny(message)


def deny(message: str) -> NoReturn:
    raise Http404(message)


def get_visible_or_404(queryset, /, message: str = "Not found, or not yours to see.", **lookup):
    """The one object of `queryset` matching `lookup` (``pk=pk``, ``nonce=nonce``), or a 404.

    Every view that fetches an object by id comes here, with a queryset already narrowed to what the person may
    see or change (``visible_goals(user)``, ``editable_sessions(user)``): an object of another department, a
    missing one and a malformed id all get the same 404, so a denial tells nothing about what exists.
    """
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404(message) from None


def visible_people(user):
    """People whose individual figures the user may see: themselves, and everyone they manage."""
    if is_admin(user):
        return User.objects.all()
    condition = Q(pk=user.pk)
    paths = managed_paths(user)
    if paths:
        condition |= Q(department__in=Department.objects.subtrees(paths).values("pk"))
    return User.objects.filter(condition)


def department_for(user, pk, *, manage: bool = False) -> Department:
    """The department with this id if the user may see it (or manage it); 404 otherwise, never its data."""
    queryset = managed_departments(user) if manage else visible_departments(user)
    return get_visible_or_404(queryset, "No such department.", pk=pk)


def person_for(user, pk) -> User:
    return get_visible_or_404(visible_people(user), "No such person.", pk=pk)
