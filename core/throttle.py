"""Sign-in throttling: after repeated failures for one account (or from one address), refuse for a while."""

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache

# An address may fail this many times more than one account before it is locked (an office shares one IP).
ADDRESS_FACTOR = 5


def _key(kind: str, value: str) -> str:
    return f"signin:{kind}:" + hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def _keys(username: str, address: str) -> list[tuple[str, int]]:
    limit = settings.LOGIN_FAILURE_LIMIT
    keys = [(_key("user", username), limit)] if username else []
    if address:
        keys.append((_key("addr", address), limit * ADDRESS_FACTOR))
    return keys


def minutes_locked(*, username: str, address: str) -> int:
    """Minutes until sign-in is allowed again, or 0 when it is allowed now."""
    now = time.time()
    waits = []
    for key, limit in _keys(username, address):
        record = cache.get(key)
        if record and record["count"] >= limit and record["until"] > now:
            waits.append(record["until"] - now)
    return math.ceil(max(waits) / 60) if waits else 0


def record_failure(*, username: str, address: str) -> None:
    window = settings.LOGIN_FAILURE_WINDOW
    now = time.time()
    for key, _limit in _keys(username, address):
        record = cache.get(key)
        if not record or record["until"] <= now:
            record = {"count": 0, "until": now + window}
        record["count"] += 1
        cache.set(key, record, timeout=math.ceil(record["until"] - now))


def clear(*, username: str) -> None:
    cache.delete(_key("user", username))
