"""People and departments: the custom User and the Department tree, stored as materialized paths."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, F, Q, Value
from django.db.models.functions import Concat, Length, Lower, Substr
from django.urls import reverse

from org.paths import PATH_SEPARATOR, path_within


def _within(path) -> Q:
    return Q(path__startswith=path)


class DepartmentQuerySet(models.QuerySet):
    def subtree_of(self, department):
        """The department and every department below it, in one query whatever the depth.

        `department` is a Department, its path, or an expression for a path (``OuterRef(OuterRef("path"))``
        inside a subquery that is itself inside a query of departments).
        """
        return self.filter(_within(department.path if isinstance(department, Department) else department))

    def subtrees(self, paths):
        """Departments at or below any of the given paths, in one query whatever the depth."""
        paths = list(paths)
        if not paths:
            return self.none()
        condition = Q()
        for path in paths:
            condition |= _within(path)
        return self.filter(condition)

    def ancestors_of(self, department: "Department"):
        """The department's ancestors, root first (its path names them: no recursive query)."""
        return self.filter(pk__in=department.ancestor_ids).order_by("depth")

    def with_head_count(self):
        return self.annotate(head_count=Count("members", filter=Q(members__is_active=True), distinct=True))


class Department(models.Model):
    name = models.CharField(max_length=120)
    code = models.SlugField(
        max_length=60, unique=True, help_text="Short unique identifier used in imports and URLs, e.g. it-support."
    )
    description = models.TextField(blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The department this one reports to; empty for the organization itself.",
    )
    managers = models.ManyToManyField(
        "User",
        blank=True,
        related_name="managed_departments",
        help_text="Managers see and change this department and every department below it.",
    )
    # Materialized path of primary keys, e.g. "/1/4/17/": subtree and ancestor queries need no recursion.
    path = models.CharField(max_length=1000, editable=False, db_index=False, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "parent", name="org_department_unique_name_per_parent"),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="org_department_not_own_parent"),
        ]
        indexes = [
            # Serves path LIKE 'prefix%' (subtree queries) on PostgreSQL whatever the collation.
            models.Index(fields=["path"], name="org_department_path_like", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            super().save(*args, **kwargs)
            self._sync_path()

    def get_absolute_url(self) -> str:
        return reverse("org:department", args=[self.pk])

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip(PATH_SEPARATOR).split(PATH_SEPARATOR)[:-1] if part]

    def is_below(self, other: "Department") -> bool:
        """True when this department is other or sits anywhere under it."""
        return path_within(self.path, other.path)

    def clean(self) -> None:
        super().clean()
        if self.parent_id and self.pk:
            if self.parent_id == self.pk:
                raise ValidationError({"parent": "A department cannot be its own parent."})
            parent_path = Department.objects.filter(pk=self.parent_id).values_list("path", flat=True).first()
            if parent_path and path_within(parent_path, self.path):
                raise ValidationError(
                    {"parent": f"{self.parent} is below {self.name}; choose a department outside its own branch."}
                )

    def _sync_path(self) -> None:
        """Recompute this department's path and, if it moved, its whole subtree's, in two UPDATEs."""
        parent_path = PATH_SEPARATOR
        if self.parent_id:
            parent_path = Department.objects.values_list("path", flat=True).get(pk=self.parent_id)
            if path_within(parent_path, self.path):
                raise ValidationError({"parent": "A department cannot sit below itself."})
        new_path = f"{parent_path}{self.pk}{PATH_SEPARATOR}"
        if new_path == self.path:
            return
        new_depth = new_path.count(PATH_SEPARATOR) - 2
        old_path, old_depth = self.path, self.depth
        Department.objects.filter(pk=self.pk).update(path=new_path, depth=new_depth)
        if old_path:
            Department.objects.subtree_of(old_path).exclude(pk=self.pk).update(
                path=Concat(
                    Value(new_path), Substr("path", Length(Value(old_path)) + 1), output_field=models.CharField()
                ),
                depth=F("depth") + (new_depth - old_depth),
            )
        self.path, self.depth = new_path, new_depth
        sync_department_ancestors(within=new_path)
        if old_path:
            from org.signals import department_moved

            department_moved.send(sender=Department, department=self, old_path=old_path, new_path=new_path)


# What a page naming people by their department shows of them: data stamps (core.stamps) of such pages watch
# org_user's UPDATEs of these columns only (a sign-in, which sets last_login, changes nothing shown).
PEOPLE_AS_SHOWN = ("org_user", ("username", "first_name", "last_name", "is_active", "department_id"))


class KeelUserManager(UserManager):
    def get_by_natural_key(self, username):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AbstractUser):
    """A person in the organization. Admin = staff; manager = manages at least one department."""

    email = models.EmailField("e-mail address", help_text="Used to sign in and for password resets.")
    job_title = models.CharField(max_length=120, blank=True)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        help_text="The department this person belongs to.",
    )

    objects = KeelUserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="org_user_email_ci_unique"),
            models.UniqueConstraint(Lower("username"), name="org_user_username_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    def clean(self) -> None:
        super().clean()
        if self.email:
            clash = User.objects.filter(email__iexact=self.email).exclude(pk=self.pk)
            if clash.exists():
                raise ValidationError({"email": "Another person already uses this e-mail address."})


class DepartmentAncestor(models.Model):
    """One pair of the tree's closure: a department and one department at or above it (itself included).

    Derived from the paths, for set-based SQL that adds up figures from every department to each department
    above it by a plain equi-join (the rollup's department totals) instead of a LIKE on paths per pair. Kept in
    step by Department.save() (created or moved: its subtree's pairs are written again) and by the foreign keys'
    cascade (a department deleted); sync_department_ancestors() rebuilds it from the paths.
    """

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+", db_index=False)
    ancestor = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            # Also the index of "the ancestors of these departments" (department first).
            models.UniqueConstraint(fields=["department", "ancestor"], name="org_department_ancestor_once"),
        ]

    def __str__(self) -> str:
        return f"{self.department_id} within {self.ancestor_id}"


def sync_department_ancestors(*, within: str = PATH_SEPARATOR) -> int:
    """Write again the DepartmentAncestor pairs of every department at or below the path `within` (default: the
    whole tree) from the departments' paths; returns how many pairs. Three queries whatever the size; atomic."""
    with transaction.atomic():
        departments = Department.objects.subtree_of(within)
        DepartmentAncestor.objects.filter(department__in=departments).delete()
        pairs = [
            DepartmentAncestor(department_id=pk, ancestor_id=ancestor)
            for pk, path in departments.values_list("pk", "path")
            for ancestor in [*Department(path=path).ancestor_ids, pk]
        ]
        DepartmentAncestor.objects.bulk_create(pairs, batch_size=1000)
    return len(pairs)
