"""Metrics, their targets, readings (the truth), rollups (derived), closed periods and awards."""

import sys

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse

from core import periods
from org.models import Department


class MetricQuerySet(models.QuerySet):
    def active(self):
        return self.filter(archived_at__isnull=True)

    def in_departments(self, departments):
        return self.filter(department__in=departments)


class Metric(models.Model):
    class Direction(models.TextChoices):
        HIGHER = "higher", "Higher is better"
        LOWER = "lower", "Lower is better"

    class Aggregation(models.TextChoices):
        SUM = "sum", "Sum"
        MEAN = "mean", "Mean (average)"
        LAST = "last", "Last reading"
        MIN = "min", "Minimum"
        MAX = "max", "Maximum"
        RATIO = "ratio", "Ratio of two counts"

    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"

    class Owner(models.TextChoices):
        DEPARTMENT = "department", "The department"
        PERSON = "person", "Each member of the department"

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="metrics")
    name = models.CharField(max_length=120)
    code = models.SlugField(
        max_length=80,
        unique=True,
        help_text="Unique short name used in CSV files and the API, e.g. first-contact-resolution.",
    )
    description = models.TextField(blank=True, help_text="What is measured, how, and why it matters to customers.")
    unit = models.CharField(max_length=30, blank=True, help_text="Shown after values, e.g. %, tickets, hours.")
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.HIGHER)
    aggregation = models.CharField(max_length=10, choices=Aggregation.choices, default=Aggregation.MEAN)
    ratio_scale = models.FloatField(
        default=1,
        help_text="For ratios: multiply numerator/denominator by this, e.g. "
        "1000 for 'defects per 1,000 units', 100 for a percentage.",
    )
    denominator_label = models.CharField(max_length=60, blank=True, help_text="For ratios, e.g. 'units shipped'.")
    frequency = models.CharField(
        max_length=10, choices=Frequency.choices, default=Frequency.DAILY, help_text="How often a reading is expected."
    )
    owner_kind = models.CharField("readings belong to", max_length=12, choices=Owner.choices, default=Owner.PERSON)
    min_value = models.FloatField("lowest valid value", null=True, blank=True)
    max_value = models.FloatField("highest valid value", null=True, blank=True)
    decimals = models.PositiveSmallIntegerField(default=1, help_text="Decimal places shown.")
    weight = models.FloatField(default=1, help_text="Weight of this metric in a weighted scorecard score.")
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = MetricQuerySet.as_manager()

    class Meta:
        ordering = ["department__name", "name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "department", name="metrics_metric_unique_name_per_department"),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True) | Q(max_value__isnull=True) | Q(min_value__lte=F("max_value")),
                name="metrics_metric_range_ordered",
            ),
            models.CheckConstraint(condition=Q(ratio_scale__gt=0), name="metrics_metric_ratio_scale_positive"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="metrics_metric_weight_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("metrics:metric", args=[self.pk])

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def is_ratio(self) -> bool:
        return self.aggregation == self.Aggregation.RATIO

    @property
    def per_person(self) -> bool:
        return self.owner_kind == "person"  # Owner.PERSON without the enum lookups: checks ask several times a row

    def target_on(self, day, targets=None):
        """The target in force on a day: the latest one starting on or before it (targets: prefetched list)."""
        candidates = targets if targets is not None else list(self.targets.all())
        in_force = [t for t in candidates if t.valid_from is None or t.valid_from <= day]
        return max(in_force, key=lambda t: t.valid_from or periods.EPOCH, default=None)


class Target(models.Model):
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="targets")
    valid_from = models.DateField(null=True, blank=True, help_text="Empty: from the beginning.")
    target = models.FloatField(help_text="At or better than this is on track.")
    warning = models.FloatField(
        null=True, blank=True, help_text="Between this and the target is at risk; worse is off track."
    )

    class Meta:
        ordering = ["metric", F("valid_from").asc(nulls_first=True)]
        constraints = [
            models.UniqueConstraint(fields=["metric", "valid_from"], name="metrics_target_one_per_start"),
            models.UniqueConstraint(
                fields=["metric"], condition=Q(valid_from__isnull=True), name="metrics_target_one_from_the_beginning"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric}: {self.target:g} from {self.valid_from or 'the start'}"


class Reading(models.Model):
    class Source(models.TextChoices):
        FORM = "form", "Form"
        CSV = "csv", "CSV import"
        API = "api", "API"
        COMMAND = "command", "Command line"
        REALITY_CHECK = "reality_check", "Customer reality check"
        DEMO = "demo", "Demo data"

    # Indexes: every write pays for each one, so only those a query needs. The metric is the first column of
    # both unique indexes and of (metric, day); no page looks readings up by department or recorder.
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="readings", db_index=False)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="readings",
        help_text="Set for per-person metrics.",
    )
    # The owning department: the metric's for department metrics, the person's (when read) for per-person ones.
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="readings", db_index=False)
    measured_at = models.DateTimeField()
    day = models.DateField(help_text="measured_at's day in the organization's time zone.")
    value = models.FloatField()
    denominator = models.FloatField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    override_reason = models.CharField(
        max_length=500, blank=True, help_text="Why an admin recorded this in a closed period."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-measured_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "person", "measured_at"],
                condition=Q(person__isnull=False),
                name="metrics_reading_one_per_person_and_time",
            ),
            models.UniqueConstraint(
                fields=["metric", "department", "measured_at"],
                condition=Q(person__isnull=True),
                name="metrics_reading_one_per_department_and_time",
            ),
            models.CheckConstraint(
                condition=Q(denominator__isnull=True) | Q(denominator__gt=0),
                name="metrics_reading_denominator_positive",
            ),
        ]
        indexes = [models.Index(fields=["metric", "day"], name="metrics_reading_by_metric_day")]

    def __str__(self) -> str:
        return f"{self.metric} = {self.value:g} at {self.measured_at:%Y-%m-%d %H:%M}"


class OwnerType(models.TextChoices):
    """Whose figures a rollup bucket (or a queued rollup key) holds. Stored as one letter, which the rollup's raw
    SQL writes and compares too: SQL takes the letters from here (f"'{OwnerType.PERSON}'"), never spelled out."""

    PERSON = "p", "One person's readings"
    DEPARTMENT = "d", "A department's readings, with those of every department below it"


class RollupQueue(models.Model):
    """Buckets touched by readings since the last rollup run: written with the readings, consumed by the run."""

    # No index but the key: every reading written adds rows here, and a run reads the queue whole, by id.
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    owner_type = models.CharField(max_length=1)  # an OwnerType
    owner_id = models.BigIntegerField()
    queued_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.metric_id} {self.day} {self.owner_type}{self.owner_id}"


def _finite(column: str) -> Q:
    """column is a finite number (infinity compares above the largest double; NaN, on PostgreSQL, too)."""
    return Q(**{f"{column}__gte": -sys.float_info.max, f"{column}__lte": sys.float_info.max})


class Rollup(models.Model):
    """Aggregates of one metric for one owner and one day, ISO week or month; derived from readings.

    owner_type (an OwnerType) PERSON: one person's readings; DEPARTMENT: readings of a department and every
    department below it.
    Stores composable statistics so that weeks and months are built from days, and any aggregation is derived.
    """

    PERSON, DEPARTMENT = OwnerType.PERSON, OwnerType.DEPARTMENT

    # No foreign key in the database: rollups are derived data, and checking the key of every row a full rebuild
    # writes cost more than computing them. Deleting a metric still deletes its rollups (Django's CASCADE, in
    # code); an owner has no key at all (a person or a department, by owner_type).
    metric = models.ForeignKey(
        Metric, on_delete=models.CASCADE, related_name="rollups", db_index=False, db_constraint=False
    )
    period = models.CharField(max_length=5, choices=periods.PERIOD_CHOICES)
    start = models.DateField()
    owner_type = models.CharField(max_length=1)
    owner_id = models.BigIntegerField()
    n = models.PositiveIntegerField()
    total = models.FloatField()
    minimum = models.FloatField()
    maximum = models.FloatField()
    last_value = models.FloatField()
    last_at = models.DateTimeField()
    denominator = models.FloatField(null=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            # One index, in this column order, serves uniqueness, the rollup's upsert and its stale-bucket delete,
            # dashboards (these metrics, these owners, recent buckets) and the incremental rollup (one metric's
            # day buckets of one owner within a week or month). Every write pays for each index, so no second one.
            models.UniqueConstraint(
                fields=["metric", "owner_type", "owner_id", "period", "start"], name="metrics_rollup_one_per_bucket"
            ),
            # Statistics are finite: PostgreSQL refuses an overflowing sum by itself, SQLite would store infinity
            # (and NaN as NULL); with this, both refuse such a bucket and the rollup records it as failed.
            models.CheckConstraint(
                condition=_finite("total")
                & _finite("minimum")
                & _finite("maximum")
                & _finite("last_value")
                & (Q(denominator__isnull=True) | _finite("denominator")),
                name="metrics_rollup_statistics_finite",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric_id} {self.period} {self.start} {self.owner_type}{self.owner_id}"

    def value_for(self, metric: Metric) -> float | None:
        return aggregate_value(
            metric.aggregation,
            n=self.n,
            total=self.total,
            minimum=self.minimum,
            maximum=self.maximum,
            last_value=self.last_value,
            denominator=self.denominator,
            ratio_scale=metric.ratio_scale,
        )


def aggregate_value(aggregation, *, n, total, minimum, maximum, last_value, denominator, ratio_scale) -> float | None:
    """A bucket's figure for a metric's aggregation, from the stored statistics."""
    if not n:
        return None
    if aggregation == Metric.Aggregation.SUM:
        return total
    if aggregation == Metric.Aggregation.MEAN:
        return total / n
    if aggregation == Metric.Aggregation.MIN:
        return minimum
    if aggregation == Metric.Aggregation.MAX:
        return maximum
    if aggregation == Metric.Aggregation.LAST:
        return last_value
    if aggregation == Metric.Aggregation.RATIO:
        return total / denominator * ratio_scale if denominator else None
    raise ValueError(f"unknown aggregation {aggregation!r}")


class RollupRun(models.Model):
    """One rollup run, for the admin: when, how long, how much it did."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    full = models.BooleanField(default=False)
    queue_rows = models.PositiveIntegerField()
    buckets = models.PositiveIntegerField()
    failed = models.PositiveIntegerField(default=0, help_text="Queued keys it could not compute (see Rollup failures).")

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"Rollup at {self.started_at:%Y-%m-%d %H:%M:%S}"

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


class RollupFailure(models.Model):
    """A queued key (one metric, day and owner) whose buckets a rollup run could not compute, and why.

    The run goes on with every other key and queues this one again, so each later run retries it; when a run
    computes it (the reading at fault was corrected or deleted), the row is deleted. Admins see the open ones.
    """

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    owner_type = models.CharField(max_length=1)  # as RollupQueue: "p" person, "d" department
    owner_id = models.BigIntegerField()
    period = models.CharField(
        "failing bucket",
        max_length=5,
        choices=periods.PERIOD_CHOICES,
        help_text="The day, or the week or month containing it, that could not be computed.",
    )
    error = models.TextField(help_text="What the database said.")
    first_failed_at = models.DateTimeField()
    last_failed_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-last_failed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "day", "owner_type", "owner_id"], name="metrics_rollup_failure_once_per_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} · {self.get_period_display().lower()} of {self.day:%Y-%m-%d}"


class ClosedPeriodQuerySet(models.QuerySet):
    def in_force(self):
        """Closings not reopened since: only these freeze readings and scorecards."""
        return self.filter(reopened_at__isnull=True)


class ClosedPeriod(models.Model):
    """A department's period whose scorecard is frozen: readings in it are refused, awards come from it.

    An admin may reopen it with a reason: the row stays (its frozen JSON, who closed and who reopened, why) as the
    period's history, its awards are withdrawn, and the period may be closed again (a new row).
    """

    class Rule(models.TextChoices):
        ALL_ON_TARGET = "all_on_target", "Everyone on target on every metric"
        TOP_WEIGHTED = "top_weighted", "Top N by weighted score"

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="closed_periods")
    period = models.CharField(max_length=5, choices=periods.PERIOD_CHOICES)
    start = models.DateField()
    end = models.DateField()
    rule = models.CharField(max_length=20, choices=Rule.choices, default=Rule.ALL_ON_TARGET)
    top_n = models.PositiveSmallIntegerField(default=3)
    # The frozen scorecard: {"metrics": [...], "rows": [...]} exactly as shown when the period was closed.
    scorecard = models.JSONField()
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(auto_now_add=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reopen_reason = models.TextField(blank=True, help_text="Why an admin reopened the period.")

    objects = ClosedPeriodQuerySet.as_manager()

    class Meta:
        ordering = ["-start"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "period", "start"],
                condition=Q(reopened_at__isnull=True),
                name="metrics_closed_period_once_in_force",
            ),
            models.CheckConstraint(
                condition=Q(reopened_at__isnull=True) | ~Q(reopen_reason=""), name="metrics_closed_period_reopen_why"
            ),
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="metrics_closed_period_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.department} · {periods.label(self.start, self.period)}"

    @property
    def is_reopened(self) -> bool:
        return self.reopened_at is not None


class Award(models.Model):
    closed_period = models.ForeignKey(ClosedPeriod, on_delete=models.CASCADE, related_name="awards")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="awards")
    title = models.CharField(max_length=120)
    note = models.TextField(blank=True)
    score = models.FloatField(null=True, blank=True, help_text="The frozen score the suggestion came from.")
    suggested = models.BooleanField(default=False, help_text="Suggested by Keel's rule (not added by hand).")
    confirmed = models.BooleanField(default=False)
    # Who made it an award and when: awards are the basis of rewards, so the decision is on record.
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Withdrawn, never deleted, when its period is reopened: the person and the manager see that and why.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawal_note = models.TextField(blank=True)
    # When the winner's e-mail was queued: the claim that makes telling them happen once.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-closed_period__start", "person__last_name"]
        constraints = [
            models.UniqueConstraint(fields=["closed_period", "person", "title"], name="metrics_award_once"),
        ]

    def __str__(self) -> str:
        return f"{self.title}: {self.person}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class ReadingImport(models.Model):
    """One check or import of a waiting CSV file (metrics.services.import_jobs): run in the request for a small file and
    by a Celery worker for a large one, while the page polls it. Its report is kept for the page to show.

    Readings files and customers files (kind) share it: the same claim, heartbeat, retries and beat catch-up."""

    class Action(models.TextChoices):
        CHECK = "check", "Check"
        IMPORT = "import", "Import"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    upload = models.ForeignKey("core.PendingUpload", null=True, on_delete=models.SET_NULL, related_name="+")
    token = models.CharField(max_length=32, help_text="The upload's token, kept when the file is gone.")
    name = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=20,
        default="readings",
        help_text="What the file holds (its upload's kind, core.uploads): says how it is checked and imported.",
    )
    action = models.CharField(max_length=6, choices=Action.choices)
    valid_only = models.BooleanField(default=False)
    status = models.CharField(max_length=7, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    report = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the worker running it (import_jobs.heartbeat)."
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    announced_at = models.DateTimeField(null=True, blank=True, help_text="When its page said it was imported.")

    class Meta:
        indexes = [
            models.Index(fields=["token", "user"], name="metrics_import_by_token"),
            models.Index(fields=["status", "created_at"], name="metrics_import_by_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.name} ({self.status})"

    @property
    def pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class ScorecardExport(models.Model):
    """An Excel export of a scorecard too large to build while the person waits (metrics.services.scorecard_exports):
    a Celery worker writes the workbook here while its page polls, and the person downloads it from that page."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey("org.Department", on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=5, choices=periods.PERIOD_CHOICES)
    start = models.DateField()
    rows = models.CharField(max_length=11)
    sort = models.CharField(max_length=20)
    name = models.CharField(max_length=200, help_text="The file's name, without .xlsx.")
    status = models.CharField(max_length=7, choices=Status.choices, default=Status.QUEUED)
    content = models.BinaryField(null=True, blank=True, editable=False)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}.xlsx ({self.status})"

    @property
    def pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
