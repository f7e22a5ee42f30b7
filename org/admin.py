from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils.html import format_html

from org.models import Department, User


class RoleFilter(admin.SimpleListFilter):
    title = "role"
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [("admin", "Admin"), ("manager", "Manager"), ("employee", "Employee")]

    def queryset(self, request, queryset):
        manages = Exists(Department.managers.through.objects.filter(user=OuterRef("pk")))
        admin_q = Q(is_staff=True) | Q(is_superuser=True)
        if self.value() == "admin":
            return queryset.filter(admin_q)
        if self.value() == "manager":
            return queryset.filter(manages).exclude(admin_q)
        if self.value() == "employee":
            return queryset.exclude(manages).exclude(admin_q)
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "display_name", "email", "department", "job_title", "is_staff", "is_active"]
    list_filter = [RoleFilter, "is_staff", "is_active", ("department", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["username", "first_name", "last_name", "email", "department__name"]
    list_select_related = ["department"]
    autocomplete_fields = ["department"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "email", "job_title", "department")}),
        (
            "Role",
            {
                "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
                "description": "Staff are Keel admins. A person becomes a manager by being named a manager of a "
                "department (Departments).",
            },
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "first_name", "last_name", "department", "password1", "password2"),
            },
        ),
    )

    @admin.display(description="name", ordering="last_name")
    def display_name(self, obj):
        return obj.get_full_name()


class MemberInline(admin.TabularInline):
    model = User
    fields = ["username", "first_name", "last_name", "email", "job_title", "is_active"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "members (edit people to move them)"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["indented_name", "code", "parent", "manager_names", "people", "depth"]
    list_filter = ["depth"]
    search_fields = ["name", "code", "managers__username", "managers__last_name"]
    autocomplete_fields = ["parent"]
    filter_horizontal = ["managers"]
    readonly_fields = ["path", "depth", "created_at"]
    fields = ["name", "code", "parent", "description", "managers", "path", "depth", "created_at"]
    prepopulated_fields = {"code": ["name"]}
    list_per_page = 200

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("parent")
            .prefetch_related("managers")
            .annotate(people_count=Count("members", distinct=True))
        )

    def get_inlines(self, request, obj):
        # A department's members are listed on its page, read-only (a large department pages in People).
        return [MemberInline] if obj and obj.members.count() <= 200 else []

    @admin.display(description="name", ordering="path")
    def indented_name(self, obj):
        # Indented with spaces, not a style attribute: the Content-Security-Policy allows no inline style.
        return format_html("{}{}", "\u2003" * obj.depth, obj.name)

    @admin.display(description="managers")
    def manager_names(self, obj):
        return ", ".join(m.display_name for m in obj.managers.all()) or "—"

    @admin.display(description="people", ordering="people_count")
    def people(self, obj):
        url = reverse("admin:org_user_changelist") + f"?department__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.people_count)
