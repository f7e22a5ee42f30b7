"""Keel's admin site: one sign-in page for everyone (Keel's own, throttled), and 403 for people who are not staff."""

from functools import wraps

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from core.redirects import safe_target


class KeelAdminSite(admin.AdminSite):
    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not request.user.is_authenticated:
                from django.contrib.auth.views import redirect_to_login  # needs the app registry

                return redirect_to_login(request.get_full_path())
            if not self.has_permission(request):
                raise PermissionDenied("Administration is for admins (staff) only.")
            return inner(request, *args, **kwargs)

        return guarded

    def login(self, request, extra_context=None):
        if request.user.is_authenticated:
            if self.has_permission(request):
                return redirect(safe_target(request, request.GET.get("next")) or reverse("admin:index"))
            raise PermissionDenied("Administration is for admins (staff) only.")
        from django.contrib.auth.views import redirect_to_login  # needs the app registry

        return redirect_to_login(safe_target(request, request.GET.get("next")) or reverse("admin:index"))


class KeelAdminConfig(AdminConfig):
    default_site = "core.admin_site.KeelAdminSite"


class RecordAdmin(admin.ModelAdmin):
    """For rows the application writes and the admin only shows (runs, jobs): no adding, no editing."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
