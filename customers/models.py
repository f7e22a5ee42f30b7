"""Customers (external people, or internal departments), reality-check campaigns, samples, answers, follow-ups."""

from django.conf import settings
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.urls import reverse

from core import periods
from goals.models import AcceptanceCriterion, DefinitionVersion, QualityDefinition
from org.models import Department

# The anonymity minimum: nothing derived from the answers of an internal campaign (results, follow-ups and their
# texts and dates, trends, scores, the internal map, the admin) is visible to anyone before this many colleagues
# answered it. The one definition: everything else reads it from here.
INTERNAL_MINIMUM = 5


def too_few_to_show(campaign_ref: str) -> Q:
    """Condition on rows that lead to a campaign through `campaign_ref` (e.g. "campaign", "response__campaign"):
    the campaign is internal and has fewer than INTERNAL_MINIMUM responses, so nothing of its answers may show."""
    few = (
        Campaign.objects.filter(pk=OuterRef(campaign_ref), audience=Customer.Kind.INTERNAL)
        .annotate(answered=Count("responses"))
        .filter(answered__lt=INTERNAL_MINIMUM)
    )
    return Q(Exists(few))


class AnswerDerivedQuerySet(models.QuerySet):
    """Rows derived from answers (responses, answers, follow-ups): .shown() leaves out those of internal campaigns
    below the anonymity minimum."""

    campaign_ref = "campaign"

    def shown(self):
        return self.exclude(too_few_to_show(self.campaign_ref))


class AnswerQuerySet(AnswerDerivedQuerySet):
    campaign_ref = "response__campaign"


class Customer(models.Model):
    class Kind(models.TextChoices):
        EXTERNAL = "external", "External customer"
        INTERNAL = "internal", "Internal customer (a department)"

    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="customers",
        help_text="The supplier: the department whose customer this is.",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.EXTERNAL)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    segment = models.CharField(max_length=60, blank=True, help_text="e.g. retail, wholesale, public sector.")
    products = models.CharField(max_length=300, blank=True, help_text="Products or services they use.")
    internal_department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="as_internal_customer",
        help_text="For internal customers: the department served.",
    )
    last_contacted_at = models.DateTimeField(null=True, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True, help_text="Never asked again once set.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                "department",
                condition=~Q(email=""),
                name="customers_customer_email_once_per_department",
            ),
            models.UniqueConstraint(
                fields=["department", "internal_department"],
                condition=Q(internal_department__isnull=False),
                name="customers_internal_customer_once",
            ),
            models.CheckConstraint(
                condition=Q(kind="external", internal_department__isnull=True)
                | Q(kind="internal", internal_department__isnull=False),
                name="customers_customer_kind_matches",
            ),
        ]
        indexes = [
            models.Index(
                fields=["department", "segment"],
                name="customers_by_dept_segment",
                condition=Q(opted_out_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.name


# What the people asked see when a campaign names nothing better (create_campaign puts the department's name first).
DEFAULT_CUSTOMER_TITLE = "How did we do?"


class CampaignQuerySet(models.QuerySet):
    def launched(self):
        """Campaigns that went out: sent or closed, not drafts."""
        return self.exclude(status=Campaign.Status.DRAFT)

    def ended_before(self, day):
        """Sent (still open) campaigns whose last day is before `day`: due to be closed on `day`."""
        return self.filter(status=Campaign.Status.SENT, ends_on__lt=day)


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"
        CLOSED = "closed", "Closed"

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="campaigns")
    definition = models.ForeignKey(QualityDefinition, on_delete=models.PROTECT, related_name="campaigns")
    version = models.ForeignKey(
        DefinitionVersion,
        on_delete=models.PROTECT,
        related_name="campaigns",
        help_text="The published version whose promise customers are asked about.",
    )
    title = models.CharField(max_length=200, help_text="The internal name, seen only by colleagues.")
    customer_title = models.CharField(
        max_length=200,
        default=DEFAULT_CUSTOMER_TITLE,
        help_text="What the people asked see: the e-mail's subject and the answer page's heading.",
    )
    audience = models.CharField(max_length=10, choices=Customer.Kind.choices, default=Customer.Kind.EXTERNAL)
    sample_size = models.PositiveIntegerField(null=True, blank=True)
    sample_percent = models.FloatField(null=True, blank=True)
    stratify_by_segment = models.BooleanField(default=False)
    exclude_days = models.PositiveIntegerField(default=90, help_text="Skip customers asked in the last N days.")
    seed = models.BigIntegerField(null=True, blank=True, help_text="Stored with the draw, so it can be repeated.")
    draw_audit = models.JSONField(
        null=True, blank=True, help_text="Eligible, excluded (and why) and drawn counts, per segment."
    )
    drawn_at = models.DateTimeField(null=True, blank=True)
    include_nps = models.BooleanField(default=False)
    include_csat = models.BooleanField(default=False)
    starts_on = models.DateField()
    ends_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="customers_campaign_dates"),
            models.CheckConstraint(
                condition=Q(sample_percent__isnull=True) | Q(sample_percent__gt=0, sample_percent__lte=100),
                name="customers_campaign_percent_0_100",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("customers:campaign", args=[self.pk])


class CampaignQuestion(models.Model):
    """One acceptance criterion turned into a question: the promise in its own words, then how it compared."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    criterion = models.ForeignKey(
        AcceptanceCriterion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    promise = models.CharField(max_length=300, help_text="What we promised, in the promise's own words.")
    prompt = models.CharField(max_length=300, help_text="How did your experience compare?")

    class Meta:
        ordering = ["campaign", "position", "pk"]

    def __str__(self) -> str:
        return self.promise


class RecipientQuerySet(models.QuerySet):
    def to_invite(self, now):
        """Drawn recipients of sent campaigns not yet invited, whose link has not expired at `now`."""
        return self.filter(sent_at__isnull=True, campaign__status=Campaign.Status.SENT, expires_at__gt=now)

    def awaiting_answer(self, now):
        """Invited recipients of sent campaigns who have not answered and whose link still works at `now`."""
        return self.filter(
            campaign__status=Campaign.Status.SENT, submitted_at__isnull=True, sent_at__isnull=False, expires_at__gt=now
        )

    def still_asked(self):
        """Every external customer, and internal colleagues only while they are active and still in the customer
        department (or below it): someone who left or moved out after the draw is neither invited, reminded, nor
        able to answer."""
        return self.filter(
            Q(person__isnull=True)
            | Q(
                person__is_active=True,
                person__department__in=Department.objects.subtree_of(OuterRef("customer__internal_department__path")),
            )
        )


class Recipient(models.Model):
    """A sampled customer (or, for internal campaigns, a member of a customer department) and their link.

    Only a hash of the link's token is stored; the link works once (submitted_at) and until expires_at.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="recipients")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Internal campaigns: the colleague asked.",
    )
    segment = models.CharField(max_length=60, blank=True, help_text="The customer's segment when drawn.")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    reminders = models.PositiveSmallIntegerField(default=0)
    reminded_at = models.DateTimeField(null=True, blank=True)
    draft = models.JSONField(default=dict, blank=True, help_text="Answers saved before submission.")
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = RecipientQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer"], condition=Q(person__isnull=True), name="customers_recipient_once"
            ),
            models.UniqueConstraint(
                fields=["campaign", "person"],
                condition=Q(person__isnull=False),
                name="customers_internal_recipient_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.campaign}"


class Response(models.Model):
    recipient = models.OneToOneField(Recipient, on_delete=models.CASCADE, related_name="response")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="responses")
    comment = models.TextField(blank=True)
    nps = models.PositiveSmallIntegerField(null=True, blank=True)
    csat = models.PositiveSmallIntegerField(null=True, blank=True)
    submitted_at = models.DateTimeField()

    objects = AnswerDerivedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(nps__isnull=True) | Q(nps__lte=10), name="customers_nps_0_10"),
            models.CheckConstraint(
                condition=Q(csat__isnull=True) | Q(csat__gte=1, csat__lte=5), name="customers_csat_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"Response to {self.campaign}"


class Answer(models.Model):
    """One criterion, asked once, on one scale that holds the comparison with the promise: 1 far worse than
    promised, 4 as promised, 7 far better. One value, so an answer cannot contradict itself."""

    class Rating(models.IntegerChoices):
        FAR_WORSE = 1, "Far worse than promised"
        WORSE = 2, "Worse than promised"
        SLIGHTLY_WORSE = 3, "Slightly worse than promised"
        AS_PROMISED = 4, "As promised"
        SLIGHTLY_BETTER = 5, "Slightly better than promised"
        BETTER = 6, "Better than promised"
        FAR_BETTER = 7, "Far better than promised"

    class Comparison(models.TextChoices):
        """The side of the promise a rating falls on: below 4 worse, 4 as promised, above 4 better."""

        WORSE = "worse", "Worse than promised"
        AS_PROMISED = "as_promised", "As promised"
        BETTER = "better", "Better than promised"

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(CampaignQuestion, on_delete=models.CASCADE, related_name="answers")
    rating = models.PositiveSmallIntegerField(
        choices=Rating.choices,
        help_text="1 (far worse than promised), 4 (as promised) to 7 (far better than promised).",
    )

    objects = AnswerQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="customers_answer_once"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=7), name="customers_rating_1_7"),
        ]

    def __str__(self) -> str:
        return f"{self.question}: {self.get_rating_display().lower()}"

    @staticmethod
    def comparison_of(rating: int) -> str:
        """The side of the promise a rating falls on (Answer.Comparison)."""
        if rating < Answer.Rating.AS_PROMISED:
            return Answer.Comparison.WORSE
        return Answer.Comparison.AS_PROMISED if rating == Answer.Rating.AS_PROMISED else Answer.Comparison.BETTER

    @staticmethod
    def compared(comparison: str, prefix: str = "") -> Q:
        """Condition on the rating (through `prefix`, e.g. "answers__") for one side of the promise."""
        column = f"{prefix}rating"
        if comparison == Answer.Comparison.WORSE:
            return Q(**{f"{column}__lt": Answer.Rating.AS_PROMISED})
        if comparison == Answer.Comparison.BETTER:
            return Q(**{f"{column}__gt": Answer.Rating.AS_PROMISED})
        return Q(**{column: Answer.Rating.AS_PROMISED})

    @property
    def comparison(self) -> str:
        return self.comparison_of(self.rating)


class FollowUpQuerySet(AnswerDerivedQuerySet):
    """The follow-up filters every page, count and e-mail shares. The conditions are also given as Q objects
    (open_q, overdue_q) for aggregates that count several kinds in one query."""

    @staticmethod
    def open_q() -> Q:
        return ~Q(status=FollowUp.Status.CLOSED)

    @staticmethod
    def overdue_q(today) -> Q:
        """Open, and due before `today` (a follow-up due today is not overdue yet)."""
        return FollowUpQuerySet.open_q() & Q(due_date__lt=today)

    def open(self):
        """Not closed: open or in progress."""
        return self.filter(self.open_q())

    def closed(self):
        return self.filter(status=FollowUp.Status.CLOSED)

    def overdue(self, today):
        return self.filter(self.overdue_q(today))


class FollowUp(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        CLOSED = "closed", "Closed"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="follow_ups")
    # One follow-up per response at most: it lists the response's low answers and scores (FollowUp.low_answers).
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="follow_ups")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="follow_ups")
    reason = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["status", "due_date", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["response"], name="customers_follow_up_once_per_response"),
        ]

    def __str__(self) -> str:
        return self.reason

    @property
    def is_overdue(self) -> bool:
        """Open and due before today (in the organization's zone): FollowUpQuerySet.overdue, for one row."""
        return self.status != FollowUp.Status.CLOSED and self.due_date is not None and self.due_date < periods.today()
