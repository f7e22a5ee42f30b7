from django.contrib import admin, messages

from outbox import services
from outbox.models import OutgoingEmail


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("queued", "Queued or retrying"), ("sent", "Sent"), ("failed", "Failed")]

    def queryset(self, request, queryset):
        if self.value() == "queued":
            return queryset.pending()
        if self.value() == "sent":
            return queryset.filter(sent_at__isnull=False)
        if self.value() == "failed":
            return queryset.filter(failed_at__isnull=False)
        return queryset


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = ["subject", "to", "status", "attempts", "created_at", "sent_at", "last_error"]
    list_filter = [StatusFilter, "created_at"]
    search_fields = ["to", "subject", "dedup_key"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutgoingEmail._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Try the selected failed e-mails again")
    def retry(self, request, queryset):
        count = services.retry_failed(email_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} failed e-mail(s) queued again.", messages.SUCCESS)
