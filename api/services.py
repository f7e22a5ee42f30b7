"""Issuing, checking and revoking API tokens, and service accounts: every change is written to the audit trail."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from api.models import ApiToken, ServiceAccount, TokenEvent, digest
from core.exceptions import RuleViolation
from org import access
from org.models import Department, User

PERSONAL_PREFIX = "keel_pat_"
SERVICE_PREFIX = "keel_sat_"
LONGEST_LIFE = timedelta(days=366)
LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per token


@dataclass
class Issued:
    token: ApiToken
    secret: str  # shown once, never stored


def _audit(*, action: str, actor: User | None, token=None, account=None, detail: str = "", ip: str = "") -> None:
    TokenEvent.objects.create(
        action=action, actor=actor, token=token, account=account, detail=detail[:300], ip_address=ip or None
    )


def issue_token(*, user: User, by: User, name: str, scope: str, expires_at: datetime, ip: str = "") -> Issued:
    """Create a token for `user` (a person for themselves, or an admin for a service account).

    Returns the token and its secret, which is shown once and stored only as its sha256 digest. Raises
    RuleViolation when the expiry is past or more than a year away, or when `by` may not issue for `user`.
    """
    now = timezone.now()
    if user.pk != by.pk and not (access.is_admin(by) and hasattr(user, "service_account")):
        raise RuleViolation("You may create tokens for yourself only.")
    if expires_at <= now:
        raise RuleViolation("Choose an expiry date in the future.", field="expires_at")
    if expires_at > now + LONGEST_LIFE:
        raise RuleViolation("A token lives a year at most: choose an earlier expiry date.", field="expires_at")
    if scope not in ApiToken.Scope.values:
        raise RuleViolation("Choose read, or read and write.", field="scope")
    prefix = SERVICE_PREFIX if hasattr(user, "service_account") else PERSONAL_PREFIX
    secret = prefix + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name.strip()[:100],
            digest=digest(secret),
            hint=secret[: len(prefix) + 4],
            scope=scope,
            expires_at=expires_at,
            created_by=by,
        )
        _audit(action=TokenEvent.Action.CREATED, actor=by, token=token, detail=f"{token.name}, {scope}", ip=ip)
    return Issued(token=token, secret=secret)


def revoke_token(*, token: ApiToken, by: User, ip: str = "") -> bool:
    """Revoke a token at once (the next request with it is refused); False if it was already revoked."""
    with transaction.atomic():
        done = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if done:
            _audit(action=TokenEvent.Action.REVOKED, actor=by, token=token, detail=token.name, ip=ip)
    token.refresh_from_db(fields=["revoked_at"])
    return bool(done)


def authenticate(secret: str) -> ApiToken | None:
    """The usable token with this secret (not revoked, not expired, its user active), with its user; or None.

    Notes the use in last_used_at, at most once a minute per token so that a busy client does not write on
    every request. For a service account the user's access is narrowed to its departments (see act_as()).
    """
    if not secret or len(secret) > 200 or not secret.startswith((PERSONAL_PREFIX, SERVICE_PREFIX)):
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.usable(now).select_related("user", "user__department").filter(digest=digest(secret)).first()
    )
    if token is None:
        return None
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_EVERY)
        ).update(last_used_at=now)
    act_as(token.user)
    return token


def act_as(user: User) -> User:
    """Prepare `user` for the access rules. A service account manages exactly the departments it was given:
    org.access reads a user's managed paths through one cached attribute, which is set here from the account's
    departments instead of Department.managers, so every rule (reading, recording, goals, customers) applies
    unchanged and the departments' pages do not list the account among their managers."""
    account = getattr(user, "service_account", None) if _has_account(user) else None
    if account is not None:
        user._keel_managed_paths = list(account.departments.values_list("path", flat=True))
    return user


def _has_account(user: User) -> bool:
    try:
        user.service_account  # noqa: B018 (the one-to-one is loaded, or raises)
    except ServiceAccount.DoesNotExist:
        return False
    return True


def is_service_account(user: User) -> bool:
    return _has_account(user)


def create_service_account(
    *, by: User, username: str, description: str, departments: list[Department], ip: str = ""
) -> ServiceAccount:
    """An admin creates a non-human user that acts through tokens only (it has no usable password).

    Raises RuleViolation when `by` is not an admin, the name is taken, or no department is given.
    """
    if not access.is_admin(by):
        raise RuleViolation("Only an admin can create service accounts.")
    username = username.strip()
    if not departments:
        raise RuleViolation("Choose at least one department the account works for.", field="departments")
    if User.objects.filter(username__iexact=username).exists():
        raise RuleViolation(f"The name “{username}” is taken; choose another.", field="username")
    with transaction.atomic():
        user = User(username=username, first_name=username[:150], email=f"{username}@service-account.invalid")
        user.set_unusable_password()
        user.save()
        account = ServiceAccount.objects.create(user=user, description=description.strip()[:300], created_by=by)
        account.departments.set(departments)
        _audit(
            action=TokenEvent.Action.ACCOUNT_CREATED,
            actor=by,
            account=account,
            detail=", ".join(d.code for d in departments),
            ip=ip,
        )
    return account


def deactivate_service_account(*, account: ServiceAccount, by: User, ip: str = "") -> bool:
    """Deactivate the account's user: all of its tokens are refused from the next request on. False (and nothing
    audited again) when it was deactivated already, e.g. by a second click."""
    if not access.is_admin(by):
        raise RuleViolation("Only an admin can deactivate service accounts.")
    with transaction.atomic():
        done = User.objects.filter(pk=account.user_id, is_active=True).update(is_active=False)
        if done:
            _audit(action=TokenEvent.Action.ACCOUNT_DEACTIVATED, actor=by, account=account, ip=ip)
    return bool(done)
