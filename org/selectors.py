"""Reads of people and departments that several pages need, each in a bounded number of queries."""

from dataclasses import dataclass, field
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce

from org import access
from org.models import Department, User


def people_in_subtree_count():
    """A subquery counting active people in a department and everything below it (matched by path prefix)."""
    people = (
        User.objects.filter(is_active=True, department__in=Department.objects.subtree_of(OuterRef(OuterRef("path"))))
        .order_by()
        .values(grouping=Value(1))
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(people, output_field=IntegerField()), 0)


def departments_with_figures(queryset):
    """Departments with head counts (direct and whole subtree) and their managers: three queries in all."""
    return (
        queryset.with_head_count()
        .annotate(subtree_head_count=people_in_subtree_count())
        .prefetch_related(Prefetch("managers", queryset=User.objects.only("id", "username", "first_name", "last_name")))
    )


@dataclass
class TreeNode:
    department: Department
    children: list["TreeNode"] = field(default_factory=list)


def as_tree(departments) -> list[TreeNode]:
    """Nest an already-fetched list of departments by parent, siblings by name; no queries."""
    nodes = {d.pk: TreeNode(d) for d in departments}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.department.parent_id)
        (parent.children if parent else roots).append(node)
    for node in nodes.values():
        node.children.sort(key=lambda n: n.department.name.lower())
    roots.sort(key=lambda n: n.department.name.lower())
    return roots


def flatten(tree: list[TreeNode]) -> list[Department]:
    """Depth-first order, for rendering a tree as indented rows."""
    ordered, stack = [], list(reversed(tree))
    while stack:
        node = stack.pop()
        ordered.append(node.department)
        stack.extend(reversed(node.children))
    return ordered


def team_overview(request) -> dict:
    """The home page's "Your team" section: where the person sits and, for managers, what they look after."""
    user = request.user
    role = access.role(user)
    department, ancestors = None, []
    if user.department_id:
        department = Department.objects.prefetch_related("managers").with_head_count().get(pk=user.department_id)
        ancestors = list(Department.objects.ancestors_of(department))
    overview = {
        "role": role,
        "department": department,
        "ancestors": ancestors,
        "managed_departments": 0,
        "managed_people": 0,
        "directly_managed": [],
    }
    if role != access.EMPLOYEE:
        overview["managed_departments"] = access.managed_departments(user).count()
        overview["managed_people"] = access.visible_people(user).filter(is_active=True).exclude(pk=user.pk).count()
        overview["directly_managed"] = list(Department.objects.filter(managers=user).order_by("name")[:10])
    return overview


def organization_totals() -> dict:
    return User.objects.aggregate(
        people=Count("pk", filter=Q(is_active=True)),
    ) | {"departments": Department.objects.count()}


def organization_name() -> str:
    """The organization's name as outsiders know it: settings.KEEL_ORGANIZATION_NAME, else the name of the top
    department (the first root by path), else "Keel". One query when the setting is empty."""
    if settings.KEEL_ORGANIZATION_NAME:
        return settings.KEEL_ORGANIZATION_NAME
    root = Department.objects.filter(parent__isnull=True).order_by("path").values_list("name", flat=True).first()
    return root or "Keel"


def sender_on_behalf() -> str:
    """The From header of e-mails sent for the organization: '"<organization> via Keel" <address>', the address
    taken from settings.DEFAULT_FROM_EMAIL (with or without its own display name)."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or settings.DEFAULT_FROM_EMAIL
    return formataddr((f"{organization_name()} via Keel", address))
