"""Every API error in one shape: RFC 9457 problem details (application/problem+json) with field-level errors.

    {"type": "https://keel.example/problems/validation", "title": "Your request has problems.", "status": 422,
     "detail": "readings[3].value: Input should be a valid number.",
     "errors": [{"pointer": "/readings/3/value", "field": "value", "index": 3, "detail": "..."}]}

`type` is a stable URI per kind of problem (PROBLEM_BASE + a slug); clients branch on it and on `status`, people
read `title` and `detail`. `errors` is empty unless individual fields or rows are at fault.
"""

import json
import logging

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponse
from ninja.errors import AuthenticationError, HttpError, ValidationError

from core.exceptions import RuleViolation

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://keel.example/problems/"
CONTENT_TYPE = "application/problem+json"

TITLES = {
    400: "The request cannot be read.",
    401: "A valid API token is needed.",
    403: "This token may not do that.",
    404: "Not found, or not yours to see.",
    405: "This method is not allowed here.",
    409: "The request conflicts with an earlier one.",
    413: "The request is too large.",
    422: "Your request has problems.",
    429: "Too many requests.",
    500: "Something went wrong on our side.",
}
SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "too-large",
    422: "validation",
    429: "rate-limited",
    500: "server-error",
}


class Problem(Exception):
    """Raise anywhere in the API to answer with a problem document; errors: [{pointer, field, index, detail}]."""

    def __init__(
        self,
        status: int,
        detail: str = "",
        *,
        errors: list[dict] | None = None,
        slug: str | None = None,
        headers: dict | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []
        self.slug = slug or SLUGS.get(status, "error")
        self.headers = headers or {}


def body(status: int, detail: str = "", *, errors=(), slug: str | None = None) -> dict:
    return {
        "type": PROBLEM_BASE + (slug or SLUGS.get(status, "error")),
        "title": TITLES.get(status, "Error."),
        "status": status,
        "detail": detail or TITLES.get(status, ""),
        "errors": list(errors),
    }


def response(status: int, detail: str = "", *, errors=(), slug: str | None = None, headers=None) -> HttpResponse:
    answer = HttpResponse(
        json.dumps(body(status, detail, errors=errors, slug=slug)), status=status, content_type=CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        answer[name] = value
    return answer


def _pointer(loc) -> tuple[str, str, int | None]:
    """pydantic's location (('body', 'payload', 'readings', 3, 'value')) as a JSON pointer into the request body,
    the field's name and the row's index."""
    parts = [str(p) for p in loc]
    where = parts[0] if parts else ""
    if where == "body" and len(parts) > 1:  # ninja wraps the body in the parameter's name
        parts = parts[2:]
    elif where in ("query", "path", "header"):
        parts = parts[1:]
    index = next((int(p) for p in parts if p.isdigit()), None)
    field = next((p for p in reversed(parts) if not p.isdigit()), where)
    return "/" + "/".join(parts), field, index


def validation_errors(errors: list[dict]) -> list[dict]:
    out = []
    for error in errors[:1000]:  # a 10,000-row body may fail everywhere; a thousand messages say enough
        pointer, field, index = _pointer(error.get("loc", ()))
        message = str(error.get("msg", "Invalid value."))
        out.append({"pointer": pointer, "field": field, "index": index, "detail": message})
    return out


def install(api) -> None:
    """Route every exception the API can meet to a problem document (and never a 5xx for a client's mistake)."""

    @api.exception_handler(Problem)
    def _problem(request, exc: Problem):
        return response(exc.status, exc.detail, errors=exc.errors, slug=exc.slug, headers=exc.headers)

    @api.exception_handler(ValidationError)
    def _invalid(request, exc: ValidationError):
        errors = validation_errors(exc.errors)
        first = errors[0] if errors else None
        detail = f"{first['pointer']}: {first['detail']}" if first else ""
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more problem(s))"
        return response(422, detail, errors=errors)

    @api.exception_handler(AuthenticationError)
    def _unauthorized(request, exc):
        return response(
            401,
            "Send a valid, unexpired, unrevoked token: Authorization: Bearer keel_pat_….",
            headers={"WWW-Authenticate": 'Bearer realm="keel"'},
        )

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return response(404, "Not found, or not yours to see.")

    @api.exception_handler(RuleViolation)
    def _rule(request, exc: RuleViolation):
        errors = [{"pointer": f"/{exc.field}", "field": exc.field, "index": None, "detail": exc.message}]
        return response(422, exc.message, errors=errors if exc.field else [])

    @api.exception_handler(HttpError)
    def _http_error(request, exc: HttpError):
        status = exc.status_code
        if status == 400 and "json" in str(exc).lower():
            return response(400, "The body is not valid JSON.")
        return response(status, str(exc))

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request, exc):
        return response(413, "The request body is too large: send at most 10,000 readings per request.")

    @api.exception_handler(Exception)
    def _crash(request, exc):
        log.exception("API request failed: %s %s", request.method, request.path)
        return response(500, "Something went wrong on our side; it has been logged.")
