from django.contrib import admin

from customers.models import Answer, Campaign, CampaignQuestion, Customer, FollowUp, Recipient, Response


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
    list_display = ["title", "department", "definition", "audience", "status", "starts_on", "ends_on", "seed"]
    list_filter = ["status", "audience"]
    search_fields = ["title", "definition__title"]
    readonly_fields = ["seed", "draw_audit", "drawn_at"]
    inlines = [QuestionInline]


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin):
    list_display = ["customer", "campaign", "sent_at", "reminders", "submitted_at", "expires_at"]
    list_filter = [("submitted_at", admin.EmptyFieldListFilter)]
    raw_id_fields = ["customer", "person", "campaign"]
    exclude = ["token_hash"]  # a hash, useless to people and better not shown


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["campaign", "submitted_at", "nps", "csat"]
    raw_id_fields = ["recipient"]
    inlines = [AnswerInline]


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ["reason", "department", "owner", "due_date", "status", "closed_at"]
    list_filter = ["status"]
    raw_id_fields = ["response", "owner"]
