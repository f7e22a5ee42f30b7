"""Who is calling: the bearer token, its scope, its rate limit, and the request body read within a bound."""

import time

from django.conf import settings
from ninja.security import HttpBearer

from api import services
from api.models import ApiToken
from api.problems import Problem
from core import best_effort

RATE_WINDOW = 60  # seconds


def rate_limit() -> int:
    return settings.KEEL_API_RATE_LIMIT


def max_body() -> int:
    return getattr(settings, "KEEL_API_MAX_BODY", 16 * 1024 * 1024)


class TokenAuth(HttpBearer):
    """Authorization: Bearer <token>. A request that passes has request.auth (the ApiToken) and request.user."""

    openapi_description = "A personal access token (keel_pat_…) or a service account's token (keel_sat_…)."

    def authenticate(self, request, token: str) -> ApiToken | None:
        found = services.authenticate(token)
        if found is None:
            return None
        request.user = found.user
        check_rate(found)
        _read_body(request)
        return found


def check_rate(token: ApiToken) -> None:
    """At most rate_limit() requests a minute per token, counted in the cache; when the cache is down the
    requests go through (core.best_effort.count_hit answers 0): a limit must not take the API down with it."""
    window = int(time.time()) // RATE_WINDOW
    hits = best_effort.count_hit(f"api:rate:{token.pk}:{window}", window=RATE_WINDOW + 5)
    if hits > rate_limit():
        retry = RATE_WINDOW - int(time.time()) % RATE_WINDOW
        raise Problem(
            429,
            f"This token made more than {rate_limit():,} requests this minute; try again in {retry} seconds.",
            headers={"Retry-After": str(retry)},
        )


def _read_body(request) -> None:
    """Read the body up to max_body(): Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB, right for forms) is too
    small for 10,000 readings with notes, so the API reads it itself, after the token is known."""
    if request.method not in ("POST", "PUT", "PATCH") or hasattr(request, "_body"):
        return
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > max_body():
        raise Problem(413, f"The body has {length:,} bytes; send at most {max_body():,} (10,000 readings).")
    request._body = request.read(max_body() + 1)
    if len(request._body) > max_body():
        raise Problem(413, f"Send at most {max_body():,} bytes (10,000 readings).")


def require_write(request) -> None:
    """A read token may not write: 403 (the token is known, its scope is not enough)."""
    if not request.auth.can_write:
        raise Problem(403, "This token can only read. Create a token with the scope “read and write” to write.")
