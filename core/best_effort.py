"""Work that helps but must never fail a request: broker nudges, cache counters and cached results.

The database is the queue of truth (ARCHITECTURE.md): a task nudged here is caught up by beat from the
database if the broker is down, and a counter that cannot be kept only stops limiting for a while. So when
Redis (broker or cache) is unreachable these log a warning and carry on; what was committed stays committed
and is never reported as failed.
"""

import logging

from django.core.cache import cache
from django.db import transaction
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# What a broker that cannot be reached raises; a task's own errors (run eagerly in tests) still propagate.
BROKER_ERRORS = (KombuError, RedisError, OSError)


def enqueue(task, *args, **kwargs) -> bool:
    """Send a task message now; False (logged) when the broker cannot take it."""
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except BROKER_ERRORS as error:  # beat re-derives the work from the database
        log.warning("could not queue %s (beat will catch up): %s: %s", task.name, type(error).__name__, error)
        return False
    return True


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send a task message once the surrounding transaction commits (at once outside one)."""
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))


def count_hit(key: str, *, window: int) -> int:
    """Add one to a counter that lives `window` seconds from its first hit and return it; 0 (logged) when the
    cache cannot be reached, so a limit built on it lets the request through rather than failing it."""
    try:
        cache.add(key, 0, window)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window)
            return 1
    except Exception as error:  # any cache failure
        log.warning("cache unreachable, %s not counted: %s: %s", key, type(error).__name__, error)
        return 0


def cache_get(key: str):
    """The cached value, or None when it is missing or the cache cannot be reached (logged): compute instead."""
    try:
        return cache.get(key)
    except Exception as error:  # any cache failure
        log.warning("cache unreachable, computing: %s: %s", type(error).__name__, error)
        return None


def cache_set(key: str, value, seconds: int) -> None:
    """Keep a value `seconds` long; when the cache cannot be reached (logged), the next request computes again."""
    try:
        cache.set(key, value, seconds)
    except Exception as error:  # any cache failure
        log.warning("cache unreachable, not cached: %s: %s", type(error).__name__, error)
