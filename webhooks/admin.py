"""Webhooks in the admin: subscriptions (their secret hidden), events and deliveries with their last answers."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from webhooks.models import Delivery, Subscription, WebhookEvent
from webhooks.signatures import new_secret


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["name", "department", "url", "format", "is_active", "allow_private_targets", "created_at"]
    list_filter = ["is_active", "format", "allow_private_targets"]
    search_fields = ["name", "url", "department__name"]
    autocomplete_fields = ["department"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    # The secret never shows here: its owners reveal it on the subscription's page.
    exclude = ["secret"]

    def save_model(self, request, obj, form, change):
        if not obj.secret:
            obj.secret = new_secret()
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ["subscription", "attempts", "last_status_code", "delivered_at", "failed_at", "next_attempt_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["type", "summary", "created_at"]
    list_filter = ["type", "created_at"]
    search_fields = ["summary", "key"]
    date_hierarchy = "created_at"
    readonly_fields = ["uid", "type", "payload", "summary", "url", "key", "created_at"]
    inlines = [DeliveryInline]

    def has_add_permission(self, request):
        return False


class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("waiting", _("Queued or retrying")), ("delivered", _("Delivered")), ("failed", _("Failed"))]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.pending()
        if self.value() == "delivered":
            return queryset.filter(delivered_at__isnull=False)
        if self.value() == "failed":
            return queryset.filter(failed_at__isnull=False)
        return queryset


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["event", "subscription", "status", "attempts", "last_status_code", "next_attempt_at", "created_at"]
    list_filter = [StatusFilter, "subscription"]
    list_select_related = ["event", "subscription"]
    search_fields = ["subscription__name", "last_error"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "event",
        "subscription",
        "created_at",
        "attempts",
        "next_attempt_at",
        "claimed_until",
        "last_attempt_at",
        "last_status_code",
        "last_response",
        "last_error",
        "delivered_at",
        "failed_at",
    ]

    def has_add_permission(self, request):
        return False
