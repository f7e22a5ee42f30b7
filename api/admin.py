"""The API's credentials in the admin: tokens (never their secret), service accounts, the audit trail (read-only)."""

from django.contrib import admin

from api.models import ApiToken, IdempotentRequest, ServiceAccount, TokenEvent


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "hint", "user", "scope", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "hint", "user__username"]
    list_select_related = ["user"]
    readonly_fields = ["user", "hint", "digest", "created_at", "created_by", "last_used_at"]
    fields = ["name", "user", "hint", "scope", "expires_at", "revoked_at", "created_at", "created_by", "last_used_at"]

    def has_add_permission(self, request):
        return False  # tokens are issued on the API tokens pages, where the secret is shown once


@admin.register(ServiceAccount)
class ServiceAccountAdmin(admin.ModelAdmin):
    list_display = ["user", "description", "created_by", "created_at"]
    search_fields = ["user__username", "description"]
    filter_horizontal = ["departments"]
    readonly_fields = ["user", "created_by", "created_at"]

    def has_add_permission(self, request):
        return False  # created on Account › Service accounts, which makes its user too


@admin.register(TokenEvent)
class TokenEventAdmin(admin.ModelAdmin):
    list_display = ["at", "action", "token", "account", "actor", "detail", "ip_address"]
    list_filter = ["action"]
    search_fields = ["detail", "actor__username", "token__name"]
    list_select_related = ["token", "account__user", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # the audit trail is read-only


@admin.register(IdempotentRequest)
class IdempotentRequestAdmin(admin.ModelAdmin):
    list_display = ["key", "token", "status", "created_at"]
    search_fields = ["key"]
    readonly_fields = ["token", "key", "request_hash", "status", "body", "created_at"]
