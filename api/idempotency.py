"""Idempotency-Key: a retried write returns the stored answer of the first one instead of writing again.

The key is claimed inside the write's transaction (a row unique per token and key), so two requests racing with
one key cannot both write: the second waits on the unique index until the first commits, then finds its answer.
A write that fails rolls its claim back, so the client may fix the body and retry with the same key. The same
key with a different body is refused (422): a key names one request. Keys are kept KEEP_FOR, then pruned.
"""

import hashlib
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from api.models import ApiToken, IdempotentRequest
from api.problems import Problem

KEEP_FOR = timedelta(hours=24)
LONGEST_KEY = 255


def request_hash(request) -> str:
    return hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n" + request.body).hexdigest()


def once(request, *, key: str | None, write: Callable[[], tuple[int, dict]]) -> tuple[int, dict]:
    """Run write() (returning status and JSON body) once per key for this token; without a key, just run it."""
    if not key:
        return write()
    if len(key) > LONGEST_KEY or not key.isprintable():
        raise Problem(422, f"The Idempotency-Key must be printable text of at most {LONGEST_KEY} characters.")
    token: ApiToken = request.auth
    fingerprint = request_hash(request)
    _prune(token)
    try:
        with transaction.atomic():
            claim = IdempotentRequest.objects.create(token=token, key=key, request_hash=fingerprint)
            status, body = write()
            claim.status, claim.body = status, body
            claim.save(update_fields=["status", "body"])
            return status, body
    except IntegrityError:
        earlier = IdempotentRequest.objects.filter(token=token, key=key).first()
        if earlier is None:  # pruned or rolled back in between: nothing was stored under it, so write now
            return write()
    if earlier.request_hash != fingerprint:
        raise Problem(
            422,
            "This Idempotency-Key was used for a different request. Use a new key for a new request.",
            slug="idempotency-key-reused",
        )
    return earlier.status, earlier.body


def _prune(token: ApiToken) -> None:
    IdempotentRequest.objects.filter(token=token, created_at__lt=timezone.now() - KEEP_FOR).delete()
