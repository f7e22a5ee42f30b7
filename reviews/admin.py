from django.contrib import admin

from reviews.models import (
    ActionItem,
    Answer,
    Completion,
    Invitation,
    Option,
    Question,
    Quiz,
    QuizAttempt,
    RefresherProgramme,
    Reminder,
    ReviewSeries,
    ReviewSession,
)


@admin.register(ReviewSeries)
class ReviewSeriesAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "week_of_month",
        "weekday",
        "every_months",
        "local_time",
        "time_zone",
        "facilitator",
        "ended_at",
    ]
    filter_horizontal = ["definitions", "invited_departments", "invited_people"]
    raw_id_fields = ["facilitator", "created_by"]


class InvitationInline(admin.TabularInline):
    model = Invitation
    extra = 0
    raw_id_fields = ["person"]
    readonly_fields = ["invited_at", "sent_at", "responded_at"]


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    extra = 0
    raw_id_fields = ["owner"]


@admin.register(ReviewSession)
class ReviewSessionAdmin(admin.ModelAdmin):
    list_display = ["title", "starts_at", "time_zone", "facilitator", "series", "cancelled_at"]
    list_filter = [("cancelled_at", admin.EmptyFieldListFilter), "series"]
    search_fields = ["title", "agenda"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["facilitator", "created_by"]
    filter_horizontal = ["definitions"]
    inlines = [InvitationInline, ActionItemInline]

    def save_model(self, request, obj, form, change):
        # An occurrence edited on its own keeps its changes when its series is edited later.
        if change and obj.series_id and form.has_changed():
            obj.detached = True
        super().save_model(request, obj, form, change)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["person", "session", "response", "sent_at", "attended"]
    list_filter = ["response", "attended"]
    search_fields = ["person__username", "person__last_name", "session__title"]
    raw_id_fields = ["person", "session"]


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["invitation", "kind", "sent_at"]
    list_filter = ["kind"]
    raw_id_fields = ["invitation"]


@admin.register(RefresherProgramme)
class RefresherProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "every_months", "window", "fixed_date", "active"]
    filter_horizontal = ["definitions", "departments"]


class OptionInline(admin.TabularInline):
    model = Option
    extra = 0


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "quiz", "kind"]
    inlines = [OptionInline]


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0
    show_change_link = True


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    list_display = ["definition", "pass_mark", "published"]
    inlines = [QuestionInline]


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    readonly_fields = ["question", "option", "correct"]
    can_delete = False


@admin.register(QuizAttempt)
class QuizAttemptAdmin(admin.ModelAdmin):
    list_display = ["person", "quiz", "submitted_at", "score", "passed"]
    list_filter = ["passed"]
    raw_id_fields = ["person", "session"]
    inlines = [AnswerInline]


@admin.register(Completion)
class CompletionAdmin(admin.ModelAdmin):
    list_display = ["person", "definition", "completed_at", "source", "score"]
    list_filter = ["source"]
    raw_id_fields = ["person", "attempt"]
