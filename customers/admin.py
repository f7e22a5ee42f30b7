from django.contrib import admin
from django.db.models import Count
from django.template.response import TemplateResponse

from customers.models import (
    Answer,
    Campaign,
    CampaignQuestion,
    Customer,
    FollowUp,
    Recipient,
    Response,
)
from customers.services.campaigns import close_campaign


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "email", "segment", "department", "last_contacted_at", "opted_out_at"]
    list_filter = ["kind", "segment", ("opted_out_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "email", "segment"]
    autocomplete_fields = ["department", "internal_department"]
    show_full_result_count = False


class QuestionInline(admin.TabularInline):
    model = CampaignQuestion
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["title", "customer_title", "department", "audience", "status", "starts_on", "ends_on", "seed"]
    list_filter = ["status", "audience"]
    search_fields = ["title", "customer_title", "definition__title"]
    # A campaign closes only through customers.services.campaigns.close_campaign (which records its scores once):
    # the status is not edited here; the "Close" action calls the service.
    readonly_fields = ["seed", "draw_audit", "drawn_at", "status", "closed_at"]
    inlines = [QuestionInline]
    actions = ["close"]

    @admin.action(description="Close the selected campaigns and record their scores")
    def close(self, request, queryset):
        """Asks once (a page naming the sent campaigns, their recipients and responses), then closes."""
        if request.POST.get("post") != "yes":
            open_ones = (
                queryset.filter(status=Campaign.Status.SENT)
                .select_related("department")
                .annotate(
                    recipient_count=Count("recipients", distinct=True), response_count=Count("responses", distinct=True)
                )
            )
            return TemplateResponse(
                request,
                "admin/customers/campaign/close_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Close campaigns?",
                    "open": list(open_ones),
                    "left": queryset.count() - len(open_ones),
                    "queryset": queryset,
                    "opts": self.model._meta,
                },
            )
        closed = sum(
            close_campaign(campaign=campaign) is not None
            for campaign in queryset.select_related("department", "created_by")
        )
        self.message_user(
            request,
            f"{closed} campaign{'s' if closed != 1 else ''} closed; campaigns that were not "
            "sent, or already closed, are left as they were.",
        )


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin):
    """Who was asked and when. Whether and when a colleague answered an internal campaign, and their saved draft,
    are answers: never shown here (a name beside a date would undo the anonymity)."""

    list_display = ["customer", "campaign", "sent_at", "reminders", "answered", "expires_at"]
    raw_id_fields = ["customer", "person", "campaign"]
    exclude = ["token_hash", "draft", "submitted_at"]  # a hash, useless to people; answers, shown only as below

    @admin.display(description="answered")
    def answered(self, recipient: Recipient):
        if recipient.person_id is not None:
            return "—"
        return recipient.submitted_at


class ShownAnswersAdmin(admin.ModelAdmin):
    """Rows derived from answers: those of internal campaigns below the anonymity minimum are not listed."""

    def get_queryset(self, request):
        return super().get_queryset(request).shown()


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0


@admin.register(Response)
class ResponseAdmin(ShownAnswersAdmin):
    list_display = ["campaign", "submitted_at", "nps", "csat"]
    exclude = ["recipient"]  # the link to who answered stays out of sight
    inlines = [AnswerInline]


@admin.register(FollowUp)
class FollowUpAdmin(ShownAnswersAdmin):
    list_display = ["reason", "department", "owner", "due_date", "status", "closed_at"]
    list_filter = ["status"]
    raw_id_fields = ["response", "owner"]
