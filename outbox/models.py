"""The e-mail outbox: every message Keel sends is a row first, so the database knows what is still to send."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutgoingEmailQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(sent_at__isnull=True, failed_at__isnull=True)

    def claimable(self, now=None):
        """Pending and not held by a live claim (a claim left by a killed worker expires)."""
        now = now or timezone.now()
        return self.pending().filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))


class OutgoingEmail(models.Model):
    to = models.EmailField()
    # The From header; empty: settings.DEFAULT_FROM_EMAIL.
    from_email = models.CharField(max_length=300, blank=True)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    # [{"filename": ..., "content": ..., "mimetype": ...}], text content only (e.g. .ics calendar files).
    attachments = models.JSONField(default=list, blank=True)
    # Callers that must send a message once (a reminder per person and occasion) pass a key; a second
    # queue_email() with the same key finds the first row instead of adding one.
    dedup_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True, help_text="Set when every attempt failed.")
    last_error = models.TextField(blank=True)

    objects = OutgoingEmailQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "outgoing e-mail"
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outbox_pending_by_age",
                condition=Q(sent_at__isnull=True, failed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"

    @property
    def status(self) -> str:
        if self.sent_at:
            return "sent"
        if self.failed_at:
            return "failed"
        return "retrying" if self.attempts else "queued"
