"""Review sessions (single or recurring), invitations and reminders, refresher programmes, comprehension checks."""

from django.conf import settings
from django.db import models
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse

from goals.models import QualityDefinition
from org.models import Department


class ReviewSeries(models.Model):
    """A recurring review, e.g. 'every first Tuesday, quarterly'. Occurrences are ReviewSessions made ahead of time.

    The time of day is kept in the series' own zone, so daylight-saving changes do not shift the sessions.
    """

    class Week(models.IntegerChoices):
        FIRST = 1, "first"
        SECOND = 2, "second"
        THIRD = 3, "third"
        FOURTH = 4, "fourth"
        LAST = -1, "last"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    title = models.CharField(max_length=160)
    agenda = models.TextField(blank=True)
    definitions = models.ManyToManyField(QualityDefinition, related_name="review_series")
    week_of_month = models.SmallIntegerField(choices=Week.choices, default=Week.FIRST)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.TUESDAY)
    every_months = models.PositiveSmallIntegerField(default=3, help_text="1 monthly, 3 quarterly, 12 yearly.")
    first_month = models.DateField(help_text="The month of the first occurrence (any day in it).")
    until = models.DateField(null=True, blank=True, help_text="No occurrences after this day.")
    local_time = models.TimeField(help_text="Start time in the series' time zone.")
    time_zone = models.CharField(max_length=64, default=settings.TIME_ZONE)
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    place = models.CharField(max_length=200, blank=True)
    video_link = models.URLField(blank=True)
    facilitator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    invited_departments = models.ManyToManyField(Department, blank=True, related_name="+")
    invited_people = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "review series"
        constraints = [
            models.CheckConstraint(
                condition=Q(every_months__gte=1, every_months__lte=24), name="reviews_series_every_1_to_24_months"
            ),
            models.CheckConstraint(condition=Q(duration_minutes__gte=5), name="reviews_series_duration_min_5"),
        ]

    def __str__(self) -> str:
        return self.title


def _invitation_count(response: str | None = None):
    """A subquery counting a session's invitations (those with `response`, if given); 0 when there are none."""
    rows = Invitation.objects.filter(session=OuterRef("pk"))
    if response:
        rows = rows.filter(response=response)
    return Coalesce(
        Subquery(
            rows.order_by().values("session").annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()
        ),
        Value(0),
    )


class ReviewSessionQuerySet(models.QuerySet):
    def with_answer_of(self, person):
        """Each session with `person`'s answer (my_response: None when not invited) and its invited and accepted
        counts, as subqueries: one query whatever the number of sessions. The facilitator comes along."""
        mine = Invitation.objects.filter(session=OuterRef("pk"), person=person)
        return self.select_related("facilitator").annotate(
            my_response=Subquery(mine.values("response")[:1]),
            invited=_invitation_count(),
            accepted=_invitation_count(Invitation.Response.ACCEPTED),
        )


class ReviewSession(models.Model):
    series = models.ForeignKey(ReviewSeries, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions")
    occurrence = models.DateField(null=True, blank=True, help_text="For a series: the local day it was made for.")
    detached = models.BooleanField(default=False, help_text="Edited on its own: series edits leave it alone.")
    title = models.CharField(max_length=160)
    agenda = models.TextField(blank=True)
    definitions = models.ManyToManyField(QualityDefinition, related_name="review_sessions")
    starts_at = models.DateTimeField()
    time_zone = models.CharField(max_length=64, default=settings.TIME_ZONE)
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    place = models.CharField(max_length=200, blank=True)
    video_link = models.URLField(blank=True)
    facilitator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="facilitated")
    minutes = models.TextField(blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    sequence = models.PositiveIntegerField(
        default=0,
        help_text="The calendar files' SEQUENCE (RFC 5545): raised by every change sent to invitees "
        "(moved, cancelled), and carried by every later file of the session.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReviewSessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "occurrence"],
                condition=Q(series__isnull=False),
                name="reviews_session_one_per_occurrence",
            ),
            models.CheckConstraint(condition=Q(duration_minutes__gte=5), name="reviews_session_duration_min_5"),
        ]
        indexes = [models.Index(fields=["starts_at"], name="reviews_session_by_start")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("reviews:session", args=[self.pk])


class Invitation(models.Model):
    class Response(models.TextChoices):
        PENDING = "pending", "Not answered"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    session = models.ForeignKey(ReviewSession, on_delete=models.CASCADE, related_name="invitations")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_invitations")
    response = models.CharField(max_length=10, choices=Response.choices, default=Response.PENDING)
    responded_at = models.DateTimeField(null=True, blank=True)
    invited_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="When the invitation e-mail was queued.")
    attended = models.BooleanField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "person"], name="reviews_invitation_once")]
        indexes = [models.Index(fields=["person", "response"], name="reviews_invitation_by_person")]

    def __str__(self) -> str:
        return f"{self.person} → {self.session}"


class Reminder(models.Model):
    """One reminder sent for one invitation; the unique row is the claim, so each is sent once."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, help_text="e.g. 'before-7d', 'before-1d', 'no-response'.")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["invitation", "kind"], name="reviews_reminder_once")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.invitation}"


class ActionItem(models.Model):
    session = models.ForeignKey(ReviewSession, on_delete=models.CASCADE, related_name="action_items")
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_actions")
    due_date = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "pk"]

    def __str__(self) -> str:
        return self.title


class RefresherProgramme(models.Model):
    """Who must be refreshed on which definitions, and how often."""

    class Window(models.TextChoices):
        ROLLING = "rolling", "Rolling: from each person's last completion"
        FIXED = "fixed", "Fixed: by a calendar date each cycle"

    name = models.CharField(max_length=160)
    definitions = models.ManyToManyField(QualityDefinition, related_name="refresher_programmes")
    departments = models.ManyToManyField(
        Department, related_name="refresher_programmes", help_text="Everyone in these departments and below them."
    )
    every_months = models.PositiveSmallIntegerField(default=6)
    window = models.CharField(max_length=10, choices=Window.choices, default=Window.ROLLING)
    fixed_date = models.DateField(
        null=True, blank=True, help_text="Fixed window: the first deadline; later ones follow every N months."
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(every_months__gte=1), name="reviews_programme_every_1_month_or_more"),
            models.CheckConstraint(
                condition=~Q(window="fixed") | Q(fixed_date__isnull=False), name="reviews_programme_fixed_needs_date"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Quiz(models.Model):
    """The comprehension check of one quality definition."""

    definition = models.OneToOneField(QualityDefinition, on_delete=models.CASCADE, related_name="quiz")
    pass_mark = models.PositiveSmallIntegerField(default=80, help_text="Percentage of questions right to pass.")
    published = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "quizzes"
        constraints = [
            models.CheckConstraint(
                condition=Q(pass_mark__gte=0, pass_mark__lte=100), name="reviews_quiz_pass_mark_0_100"
            )
        ]

    def __str__(self) -> str:
        return f"Quiz: {self.definition}"


class Question(models.Model):
    class Kind(models.TextChoices):
        MULTIPLE_CHOICE = "choice", "Multiple choice"
        TRUE_FALSE = "true_false", "True or false"

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.MULTIPLE_CHOICE)
    text = models.CharField(max_length=500)
    explanation = models.TextField(help_text="Shown after submission: why the right answer is right.")

    class Meta:
        ordering = ["quiz", "position", "pk"]

    def __str__(self) -> str:
        return self.text


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    text = models.CharField(max_length=300)
    correct = models.BooleanField(default=False)

    class Meta:
        ordering = ["question", "pk"]

    def __str__(self) -> str:
        return self.text


class QuizAttempt(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.PROTECT, related_name="attempts")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts")
    session = models.ForeignKey(ReviewSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Issued with the form; a second submission of the same form finds the attempt already submitted.
    nonce = models.CharField(max_length=40, unique=True)
    started_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True, help_text="Percentage of questions right.")
    passed = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["person", "quiz", "submitted_at"], name="reviews_attempt_by_person")]

    def __str__(self) -> str:
        return f"{self.person} · {self.quiz}"


class Answer(models.Model):
    attempt = models.ForeignKey(QuizAttempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    option = models.ForeignKey(Option, null=True, on_delete=models.CASCADE, related_name="+")
    correct = models.BooleanField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["attempt", "question"], name="reviews_answer_once")]

    def __str__(self) -> str:
        return f"{self.attempt}: {self.question}"


class Completion(models.Model):
    """A person completed a refresher on a definition: by passing its quiz, attending a session, or an admin."""

    class Source(models.TextChoices):
        QUIZ = "quiz", "Passed the comprehension check"
        SESSION = "session", "Attended a review session"
        ADMIN = "admin", "Recorded by an admin"

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="completions")
    definition = models.ForeignKey(QualityDefinition, on_delete=models.CASCADE, related_name="completions")
    completed_at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=Source.choices)
    score = models.FloatField(null=True, blank=True)
    attempt = models.OneToOneField(QuizAttempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-completed_at"]
        indexes = [models.Index(fields=["definition", "person", "completed_at"], name="reviews_completion_latest")]

    def __str__(self) -> str:
        return f"{self.person} · {self.definition} ({self.completed_at:%Y-%m-%d})"
