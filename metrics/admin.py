from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from core.admin_site import RecordAdmin
from metrics.models import (
    Award,
    ClosedPeriod,
    Metric,
    Reading,
    ReadingImport,
    RollupFailure,
    RollupQueue,
    RollupRun,
    ScorecardExport,
    Target,
)
from metrics.services import readings as services
from metrics.services import rollups


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0


@admin.register(Metric)
class MetricAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "department",
        "aggregation",
        "owner_kind",
        "frequency",
        "pending_buckets",
        "archived_at",
    ]
    list_filter = ["aggregation", "owner_kind", "frequency", "direction", ("archived_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "code", "department__name"]
    autocomplete_fields = ["department"]
    inlines = [TargetInline]
    actions = ["rebuild"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("department")

    @admin.display(description="buckets pending rollup")
    def pending_buckets(self, obj):
        return self._pending.get(obj.pk, 0)

    def changelist_view(self, request, extra_context=None):
        self._pending = dict(RollupQueue.objects.values("metric").annotate(n=Count("id")).values_list("metric", "n"))
        last = RollupRun.objects.first()
        failing = RollupFailure.objects.count()
        extra_context = (extra_context or {}) | {
            "title": "Metrics",
            "subtitle": (
                f"Last rollup {last.finished_at:%Y-%m-%d %H:%M:%S} ({last.seconds:.2f}s, "
                f"{last.buckets} buckets); {sum(self._pending.values())} buckets pending"
                + (f"; {failing} failing (see Rollup failures)" if failing else "")
            )
            if last
            else "No rollup has run yet",
        }
        return super().changelist_view(request, extra_context)

    @admin.action(description="Rebuild rollups of the selected metrics from their readings")
    def rebuild(self, request, queryset):
        with transaction.atomic():  # dashboards never see the metric without rollups
            for metric in queryset:
                rollups.queue_metric(metric=metric)
            result = rollups.run()
        self.message_user(request, f"Rebuilt {result.buckets} buckets in {result.seconds:.2f}s.", messages.SUCCESS)
        if result.failed:
            self.message_user(
                request, f"{result.failed} bucket key(s) could not be computed: see Rollup failures.", messages.WARNING
            )


@admin.register(Reading)
class ReadingAdmin(admin.ModelAdmin):
    list_display = [
        "metric",
        "person",
        "department",
        "measured_at",
        "value",
        "denominator",
        "source",
        "override_reason",
    ]
    list_filter = ["source", "metric"]
    search_fields = ["metric__name", "person__username", "person__last_name", "note"]
    date_hierarchy = "day"
    raw_id_fields = ["person", "recorded_by"]
    autocomplete_fields = ["metric", "department"]
    list_select_related = ["metric", "person", "department"]
    readonly_fields = ["day", "created_at", "updated_at"]
    show_full_result_count = False

    # Readings are written through metrics.services (the form, the import), which checks them and queues their
    # rollups; here they are shown, and wrong ones deleted through the service so their buckets follow.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.delete_readings(readings=Reading.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.delete_readings(readings=queryset)


@admin.register(RollupRun)
class RollupRunAdmin(RecordAdmin):
    list_display = ["started_at", "seconds", "full", "queue_rows", "buckets", "failed"]
    list_filter = ["full"]


@admin.register(RollupFailure)
class RollupFailureAdmin(RecordAdmin):
    """Buckets the rollup could not compute (metrics.services.rollups): every other bucket is up to date, these
    are retried by every run until the readings at fault are corrected or deleted (the link lists them)."""

    list_display = [
        "metric",
        "day",
        "period",
        "owner",
        "error",
        "attempts",
        "first_failed_at",
        "last_failed_at",
        "readings",
    ]
    list_filter = ["period", "metric"]
    list_select_related = ["metric"]
    search_fields = ["metric__name", "metric__code", "error"]
    date_hierarchy = "day"

    @admin.display(description="owner")
    def owner(self, obj):
        return f"{'person' if obj.owner_type == 'p' else 'department'} #{obj.owner_id}"

    @admin.display(description="readings of that day")
    def readings(self, obj):
        url = reverse("admin:metrics_reading_changelist")
        return format_html(
            '<a href="{}?metric__id__exact={}&day={}">readings</a>', url, obj.metric_id, obj.day.isoformat()
        )


@admin.register(ReadingImport)
class ReadingImportAdmin(RecordAdmin):
    """CSV checks and imports run as jobs: what is waiting, what failed and why (metrics.services.import_jobs)."""

    list_display = ["name", "user", "action", "status", "attempts", "created_at", "finished_at"]
    list_filter = ["status", "action"]
    list_select_related = ["user"]
    search_fields = ["name", "user__username"]
    exclude = ["report"]


class AwardInline(admin.TabularInline):
    model = Award
    extra = 0
    raw_id_fields = ["person", "created_by"]
    readonly_fields = ["withdrawn_at", "withdrawn_by", "withdrawal_note", "notified_at"]


@admin.register(ClosedPeriod)
class ClosedPeriodAdmin(admin.ModelAdmin):
    list_display = ["department", "period", "start", "end", "rule", "closed_by", "closed_at", "reopened_at"]
    list_filter = ["period", "rule", ("reopened_at", admin.EmptyFieldListFilter)]
    search_fields = ["department__name"]
    # Reopening is an admin's act on the closed period's page (with its confirmation), not an edit here.
    readonly_fields = ["scorecard", "closed_at", "reopened_at", "reopened_by", "reopen_reason"]
    inlines = [AwardInline]


@admin.register(Award)
class AwardAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "person",
        "closed_period",
        "score",
        "suggested",
        "confirmed",
        "confirmed_by",
        "confirmed_at",
    ]
    list_filter = ["suggested", "confirmed", ("withdrawn_at", admin.EmptyFieldListFilter)]
    list_select_related = ["person", "closed_period__department", "confirmed_by"]
    search_fields = ["title", "person__username", "person__last_name"]
    raw_id_fields = ["person", "created_by", "confirmed_by"]
    # Confirming is the manager's act, withdrawing the reopening's; both happen on the pages.
    readonly_fields = [
        "confirmed",
        "confirmed_by",
        "confirmed_at",
        "withdrawn_at",
        "withdrawn_by",
        "withdrawal_note",
        "notified_at",
    ]


@admin.register(ScorecardExport)
class ScorecardExportAdmin(RecordAdmin):
    """Large scorecard workbooks written by a worker (metrics.services.scorecard_exports): waiting, failed and why."""

    list_display = ["name", "user", "status", "created_at", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["user"]
    search_fields = ["name", "user__username"]
    exclude = ["content"]
