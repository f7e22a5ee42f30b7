"""The outbox in the admin: status and errors for everyone who administers; never the links a message carries."""

import re

from django.contrib import admin, messages

from outbox import services
from outbox.models import OutgoingEmail

# A link in a message may sign someone in (password reset) or answer for a customer (reality check).
LINK = re.compile(r"https?://\S+|/(?:r|accounts/password/reset)/\S+")


def redact(text: str) -> str:
    return LINK.sub("[link hidden]", text)


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
    # The body is shown with its links hidden; the raw fields are not in the form at all.
    fields = [
        "to",
        "from_email",
        "subject",
        "shown_body",
        "attachments",
        "dedup_key",
        "created_at",
        "attempts",
        "claimed_until",
        "sent_at",
        "failed_at",
        "last_error",
    ]
    readonly_fields = fields
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="body")
    def shown_body(self, obj):
        return redact(obj.body)

    @admin.action(description="Try the selected failed e-mails again")
    def retry(self, request, queryset):
        count = services.retry_failed(email_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} failed e-mail(s) queued again.", messages.SUCCESS)
