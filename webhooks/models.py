"""Outgoing webhooks: subscriptions (a URL, its events and department), events, and one delivery row per event and
subscription, sent once by Celery like the e-mail outbox (claim, send, record the outcome, retry with backoff)."""

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from org.models import Department
from webhooks.events import Event


class SubscriptionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Subscription(models.Model):
    class Format(models.TextChoices):
        STANDARD = "standard", _("Standard Webhooks JSON (for your own receiver)")
        SLACK = "slack", _("Slack incoming webhook")
        TEAMS = "teams", _("Microsoft Teams incoming webhook")

    name = models.CharField(_("name"), max_length=120, help_text=_("What receives the events, e.g. “Help desk”."))
    url = models.URLField(
        _("URL"),
        max_length=2000,
        help_text=_("The address Keel posts each event to, starting with https:// (or http://)."),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="webhook_subscriptions",
        verbose_name=_("department"),
        help_text=_("Events of this department and every department below it are sent."),
    )
    events = models.JSONField(_("events"), default=list, help_text=_("The event types sent, e.g. campaign.closed."))
    format = models.CharField(_("format"), max_length=10, choices=Format.choices, default=Format.STANDARD)
    # Standard Webhooks' secret format: "whsec_" and the base64 of the signing key. Stored as is: Keel signs with it.
    secret = models.CharField(max_length=100, editable=False)
    is_active = models.BooleanField(_("active"), default=True, help_text=_("Paused subscriptions receive nothing."))
    allow_private_targets = models.BooleanField(
        _("allow private targets"),
        default=False,
        help_text=_(
            "Admins only: let this subscription reach addresses inside your own network (private, loopback, "
            "link-local), e.g. a receiver on the same server."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("webhook subscription")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("webhooks:detail", args=[self.pk])

    def wants(self, event: str) -> bool:
        return event == Event.TEST or event in self.events

    @property
    def event_choices(self) -> list[tuple[str, str]]:
        """(name, label) of each event sent, e.g. ("campaign.closed", "A reality-check campaign is closed")."""
        labels = dict(Event.choices)
        return [(name, labels.get(name, name)) for name in self.events]


class WebhookEvent(models.Model):
    """Something that happened, as sent to every subscription that wanted it (one Delivery each)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=60, choices=Event.choices)
    payload = models.JSONField(encoder=DjangoJSONEncoder, default=dict)
    summary = models.CharField(max_length=500, help_text="One sentence for chat formats (Slack, Teams).")
    url = models.CharField(max_length=2000, blank=True, help_text="Where the event is seen in Keel.")
    # Callers that must announce something once (a follow-up overdue) pass a key; emitting again does nothing.
    key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "webhook event"

    def __str__(self) -> str:
        return f"{self.type} {self.message_id}"

    @property
    def message_id(self) -> str:
        """Standard Webhooks' webhook-id: the same for every attempt, so receivers can drop duplicates."""
        return f"msg_{self.uid.hex}"


class DeliveryQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(delivered_at__isnull=True, failed_at__isnull=True)

    def due(self, now=None):
        """Pending, due, and not held by a live claim (a claim left by a killed worker expires)."""
        now = now or timezone.now()
        return (
            self.pending()
            .filter(next_attempt_at__lte=now)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        )


class Delivery(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RETRYING = "retrying", _("Retrying")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response = models.CharField(max_length=1000, blank=True, help_text="The start of the last response body.")
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True, help_text="Set when every attempt failed.")

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "subscription"], name="webhooks_delivery_once_per_subscription"),
        ]
        indexes = [
            # Beat's catch-up: pending deliveries by when they are due.
            models.Index(
                fields=["next_attempt_at"],
                name="webhooks_delivery_due",
                condition=Q(delivered_at__isnull=True, failed_at__isnull=True),
            ),
            # A subscription's page: its latest deliveries.
            models.Index(fields=["subscription", "-created_at"], name="webhooks_delivery_by_subscr"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.subscription_id}"

    @property
    def status(self) -> str:
        if self.delivered_at:
            return self.Status.DELIVERED
        if self.failed_at:
            return self.Status.FAILED
        return self.Status.RETRYING if self.attempts else self.Status.QUEUED

    @property
    def status_label(self) -> str:
        return self.Status(self.status).label
