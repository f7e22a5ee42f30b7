"""Quality definitions (versioned, acknowledged) and S.M.A.R.T. goals that cascade through goal cycles."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse

from metrics.models import Metric
from org.models import Department


class QualityDefinitionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(retired_at__isnull=True)


class QualityDefinition(models.Model):
    """What high quality means for one product or service. Its content lives in versions; this is the anchor."""

    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="quality_definitions",
        help_text="The department that owns the promise (the organization itself for organization-wide definitions).",
    )
    title = models.CharField("product or service", max_length=160)
    external_customers = models.CharField(
        max_length=255, blank=True, help_text="Who outside the organization it serves, e.g. 'online shoppers'."
    )
    served_departments = models.ManyToManyField(
        Department,
        blank=True,
        related_name="served_by_definitions",
        help_text="Internal customers: departments this product or service is for. Their people acknowledge it too.",
    )
    ask_served_departments = models.BooleanField(
        "ask served departments to acknowledge",
        default=False,
        help_text="Ask the people of the served departments to acknowledge each major version as well.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = QualityDefinitionQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(Lower("title"), "department", name="goals_definition_unique_title_per_department"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("goals:definition", args=[self.pk])

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


class DefinitionVersion(models.Model):
    """One version of a definition: the draft (published_at empty, at most one) or an immutable published one."""

    definition = models.ForeignKey(QualityDefinition, on_delete=models.CASCADE, related_name="versions")
    major = models.PositiveIntegerField(default=0)
    minor = models.PositiveIntegerField(default=0)
    promise = models.TextField(help_text="The promise to the customer, in plain words.")
    change_summary = models.CharField(max_length=300, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["definition", "-major", "-minor"]
        constraints = [
            models.UniqueConstraint(
                fields=["definition"], condition=Q(published_at__isnull=True), name="goals_version_one_draft"
            ),
            models.UniqueConstraint(
                fields=["definition", "major", "minor"],
                condition=Q(published_at__isnull=False),
                name="goals_version_unique_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.definition} {self.label}"

    @property
    def is_draft(self) -> bool:
        return self.published_at is None

    @property
    def label(self) -> str:
        return "draft" if self.is_draft else f"v{self.major}.{self.minor}"


class AcceptanceCriterion(models.Model):
    """A measurable condition of the promise, optionally tied to a metric and a threshold."""

    version = models.ForeignKey(DefinitionVersion, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=300, help_text="e.g. 'First reply within 4 business hours, 95% of tickets'.")
    metric = models.ForeignKey(Metric, null=True, blank=True, on_delete=models.PROTECT, related_name="criteria")
    threshold = models.FloatField(null=True, blank=True, help_text="The metric value that meets the criterion.")

    class Meta:
        ordering = ["version", "position", "pk"]

    def __str__(self) -> str:
        return self.text


class Acknowledgement(models.Model):
    """A person asked to read and confirm a major version; acknowledged_at is empty until they do.

    Rows record who was asked and what they did (reminded_at and reminders: what was sent); they do not freeze the
    audience. Who must acknowledge is the definition's current audience (goals.services.definitions.audience):
    people who join or move in get a row when they are first looked for, and rows of people who left or moved out
    stay as history but count nowhere (asked_now).
    """

    definition = models.ForeignKey(QualityDefinition, on_delete=models.CASCADE, related_name="acknowledgements")
    major = models.PositiveIntegerField()
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="acknowledgements")
    requested_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminders = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "major", "person"], name="goals_ack_once_per_major"),
        ]
        indexes = [
            models.Index(fields=["person", "acknowledged_at"], name="goals_ack_by_person"),
            models.Index(fields=["requested_at"], name="goals_ack_pending", condition=Q(acknowledged_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.definition} v{self.major}"


class GoalCycle(models.Model):
    name = models.CharField(max_length=40, unique=True, help_text="e.g. 2027 or 2027-H1.")
    start = models.DateField()
    end = models.DateField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-start"]
        constraints = [models.CheckConstraint(condition=Q(end__gt=F("start")), name="goals_cycle_ends_after_start")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class GoalQuerySet(models.QuerySet):
    def organization_goals(self):
        return self.filter(department__isnull=True)


class Goal(models.Model):
    class Direction(models.TextChoices):
        INCREASE = "increase", "Increase to the target"
        DECREASE = "decrease", "Decrease to the target"

    cycle = models.ForeignKey(GoalCycle, on_delete=models.PROTECT, related_name="goals")
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="goals",
        help_text="Empty for an organization goal.",
    )
    title = models.CharField(max_length=200)
    description = models.TextField(help_text="The outcome: what will be different, for whom, when this is done.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="owned_goals"
    )
    confidence = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How likely it is to be met, 1 (unlikely) to 10 (sure)."
    )
    metric = models.ForeignKey(Metric, null=True, blank=True, on_delete=models.PROTECT, related_name="goals")
    baseline = models.FloatField(null=True, blank=True)
    target = models.FloatField(null=True, blank=True)
    direction = models.CharField(max_length=10, choices=Direction.choices, blank=True)
    due_date = models.DateField(null=True, blank=True)
    quality_definition = models.ForeignKey(
        QualityDefinition, null=True, blank=True, on_delete=models.SET_NULL, related_name="goals"
    )
    parents = models.ManyToManyField(
        "self",
        through="Alignment",
        through_fields=("child", "parent"),
        symmetrical=False,
        related_name="children",
        blank=True,
    )
    stretch_acknowledged = models.BooleanField(
        default=False, help_text="The owner accepted a target beyond anything the metric has reached."
    )
    final_progress = models.FloatField(null=True, blank=True, help_text="Frozen when the cycle closed.")
    carried_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="carried_to"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GoalQuerySet.as_manager()

    class Meta:
        # Organization goals (no department) first on every database.
        ordering = ["cycle", F("department__path").asc(nulls_first=True), "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__gte=1, confidence__lte=10),
                name="goals_goal_confidence_1_to_10",
            ),
        ]
        indexes = [models.Index(fields=["cycle", "department"], name="goals_goal_by_cycle_department")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("goals:goal", args=[self.pk])

    @property
    def is_organization_goal(self) -> bool:
        return self.department_id is None


class Alignment(models.Model):
    """A child goal supports a parent goal; the parent's progress weighs its children by `weight`."""

    parent = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="child_alignments")
    child = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="parent_alignments")
    weight = models.FloatField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["parent", "child"], name="goals_alignment_once"),
            models.CheckConstraint(condition=~Q(parent=F("child")), name="goals_alignment_not_self"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="goals_alignment_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.child} supports {self.parent}"


class KeyResult(models.Model):
    """A milestone that measures a goal without a metric."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="key_results")
    title = models.CharField(max_length=200)
    weight = models.FloatField(default=1)
    done_at = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["goal", "pk"]
        constraints = [models.CheckConstraint(condition=Q(weight__gt=0), name="goals_key_result_weight_positive")]

    def __str__(self) -> str:
        return self.title


class CheckIn(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="check_ins")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(help_text="What moved since the last check-in.")
    confidence = models.PositiveSmallIntegerField(help_text="1 (unlikely) to 10 (sure).")
    blockers = models.TextField(blank=True)
    progress = models.FloatField(null=True, blank=True, help_text="Progress (%) when the check-in was posted.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence__gte=1, confidence__lte=10), name="goals_check_in_confidence_1_to_10"
            )
        ]

    def __str__(self) -> str:
        return f"Check-in on {self.goal} ({self.created_at:%Y-%m-%d})"


class GoalChange(models.Model):
    """The audit trail: what changed on a goal, who changed it, when, and (after closing) why."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)
    changes = models.JSONField(help_text='{"field": ["before", "after"], ...}')
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-changed_at"]

    def __str__(self) -> str:
        return f"Change to {self.goal} ({self.changed_at:%Y-%m-%d %H:%M})"
