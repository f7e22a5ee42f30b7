"""Who may see and change what. Every view and queryset asks here; nothing re-implements these rules.

- Admin (staff): everything.
- Manager: the departments they manage and every department below them.
- Employee: their own department, their own figures.
"""

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
    if is_admin(user):
        return True
    return any(path_within(department.path, path) for path in managed_paths(user))


def can_see(user, department: Department) -> bool:
    return can_manage(user, department) or (user.is_authenticated and department.pk == user.department_id)


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
    try:
        return queryset.get(pk=pk)
    except (Department.DoesNotExist, ValueError, TypeError):
        raise Http404("No such department.") from None


def person_for(user, pk) -> User:
    try:
        return visible_people(user).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404("No such person.") from None
