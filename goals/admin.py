from django.contrib import admin

from goals.models import (
    AcceptanceCriterion,
    Acknowledgement,
    Alignment,
    CheckIn,
    DefinitionVersion,
    Goal,
    GoalChange,
    GoalCycle,
    KeyResult,
    QualityDefinition,
)


class VersionInline(admin.TabularInline):
    model = DefinitionVersion
    fields = ["major", "minor", "change_summary", "published_at", "published_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(QualityDefinition)
class QualityDefinitionAdmin(admin.ModelAdmin):
    list_display = ["title", "department", "external_customers", "created_at", "retired_at"]
    list_filter = [("retired_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "department__name", "external_customers"]
    autocomplete_fields = ["department"]
    filter_horizontal = ["served_departments"]
    inlines = [VersionInline]


class CriterionInline(admin.TabularInline):
    model = AcceptanceCriterion
    extra = 0
    autocomplete_fields = ["metric"]


@admin.register(DefinitionVersion)
class DefinitionVersionAdmin(admin.ModelAdmin):
    list_display = ["definition", "label", "change_summary", "published_at", "published_by"]
    search_fields = ["definition__title", "promise"]
    inlines = [CriterionInline]

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.is_draft  # published versions are immutable


@admin.register(Acknowledgement)
class AcknowledgementAdmin(admin.ModelAdmin):
    list_display = ["person", "definition", "major", "requested_at", "acknowledged_at", "reminders", "reminded_at"]
    list_filter = [("acknowledged_at", admin.EmptyFieldListFilter)]
    search_fields = ["person__username", "person__last_name", "definition__title"]
    raw_id_fields = ["person"]
    list_select_related = ["person", "definition"]


@admin.register(GoalCycle)
class GoalCycleAdmin(admin.ModelAdmin):
    list_display = ["name", "start", "end", "closed_at", "closed_by"]


class AlignmentInline(admin.TabularInline):
    model = Alignment
    fk_name = "child"
    extra = 0
    raw_id_fields = ["parent"]


class KeyResultInline(admin.TabularInline):
    model = KeyResult
    extra = 0


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "cycle",
        "department",
        "owner",
        "metric",
        "baseline",
        "target",
        "due_date",
        "final_progress",
    ]
    list_filter = ["cycle", ("department", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "description", "owner__username", "owner__last_name"]
    raw_id_fields = ["owner", "carried_from", "created_by"]
    autocomplete_fields = ["metric", "department"]
    list_select_related = ["cycle", "department", "owner", "metric"]
    inlines = [AlignmentInline, KeyResultInline]


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ["goal", "author", "confidence", "progress", "created_at"]
    raw_id_fields = ["goal", "author"]


@admin.register(GoalChange)
class GoalChangeAdmin(admin.ModelAdmin):
    list_display = ["goal", "changed_by", "changed_at", "reason"]
    raw_id_fields = ["goal", "changed_by"]

    def has_change_permission(self, request, obj=None):
        return False  # the audit trail is read-only
