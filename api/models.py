"""API credentials: personal access tokens, service accounts, their audit trail, and stored idempotent responses."""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from org.models import Department


def digest(secret: str) -> str:
    """The stored form of a token: sha256 of the whole secret, hex. The secret has 256 bits of entropy, so a
    fast hash is enough (nothing to brute-force), and a lookup by digest is one indexed query."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ServiceAccount(models.Model):
    """A non-human user (an ERP, a help desk) created by an admin: an org User that cannot sign in to pages,
    acting through tokens only, and allowed to read and write for `departments` (and the ones below them)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="service_account")
    description = models.CharField(max_length=300, blank=True)
    departments = models.ManyToManyField(
        Department,
        related_name="service_accounts",
        help_text=_("The account reads and writes for these departments and every department below them."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="service_accounts_created"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return self.user.username


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now, user__is_active=True)


class ApiToken(models.Model):
    class Scope(models.TextChoices):
        READ = "read", _("Read")
        READ_WRITE = "read_write", _("Read and write")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text=_("What the token is for, e.g. “Help desk export”."))
    digest = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=20, editable=False, help_text=_("The token's first characters, to tell it."))
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.READ)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="api_tokens_created"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")), name="api_token_expires_later"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.READ_WRITE

    def state(self, now=None) -> str:
        now = now or timezone.now()
        if self.revoked_at:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"


class TokenEvent(models.Model):
    """The audit trail of tokens and service accounts: who created, revoked or refused what, when, from where."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        REVOKED = "revoked", _("Revoked")
        ACCOUNT_CREATED = "account_created", _("Service account created")
        ACCOUNT_CHANGED = "account_changed", _("Service account changed")
        ACCOUNT_DEACTIVATED = "account_deactivated", _("Service account deactivated")

    token = models.ForeignKey(ApiToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    account = models.ForeignKey(ServiceAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    action = models.CharField(max_length=30, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="token_events"
    )
    detail = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


class IdempotentRequest(models.Model):
    """A write already done under an Idempotency-Key: a retry with the same key and body gets `body` again."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="idempotent_requests")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(default=0)
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="api_idempotent_one_per_token_key")]

    def __str__(self) -> str:
        return self.key
