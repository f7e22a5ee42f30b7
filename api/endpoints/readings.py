"""POST /readings: one to 10,000 readings through metrics' one write path (record_readings), like the form and
the CSV import: the same checks, the same per-row messages, all or nothing or the valid rows only."""

from typing import Literal

from django.db.models import Q
from django.db.models.functions import Lower
from ninja import Header, Router, Schema, Status
from pydantic import BaseModel, Field, field_validator

from api import idempotency
from api.auth import require_write
from api.problems import Problem
from api.schemas import WRITE_ERRORS, FieldProblem
from core import periods
from metrics.models import Metric, Reading
from metrics.services import rollups
from metrics.services.imports import parse_moment
from metrics.services.readings import ReadingRow, ReadingsRejected, RowError, check_readings, record_readings
from org.models import User

router = Router(tags=["readings"])

MAX_READINGS = 10_000


class ReadingIn(BaseModel):  # plain pydantic: ninja.Schema's ORM getter costs a third of a 10,000-row post
    metric: str = Field(max_length=80, description="The metric's code, e.g. first-contact-resolution.")
    person: str | None = Field(
        None, max_length=254, description="Username or e-mail of whose reading it is; empty for department metrics."
    )
    measured_at: str = Field(
        max_length=40,
        description="ISO 8601 date and time; without an offset it is the organization's time zone; a date alone "
        "means noon that day.",
        examples=["2026-11-02T14:30:00+01:00"],
    )
    value: float
    denominator: float | None = Field(None, description="Ratio metrics only: what the value is counted out of.")
    note: str = Field("", max_length=2000, description="Up to 500 characters.")

    @field_validator("metric", "person", "measured_at")
    @classmethod
    def no_nul(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("contains a NUL character; remove it")
        return value


class ReadingsIn(BaseModel):
    mode: Literal["all_or_nothing", "valid_rows_only"] = "all_or_nothing"
    readings: list[ReadingIn] = Field(min_length=1, max_length=MAX_READINGS)


class ReadingsOut(Schema):
    created: int
    updated: int
    rejected: list[FieldProblem] = Field(description="valid_rows_only: the rows not stored, and why.")


def _problem(error: RowError) -> dict:
    return {
        "pointer": f"/readings/{error.line}/{error.field}",
        "field": error.field,
        "index": error.line,
        "detail": error.message,
    }


class _Lookup:
    """The metrics and people a batch names, in two queries."""

    def __init__(self, items: list[ReadingIn]):
        codes = {item.metric for item in items}
        self.metrics = {m.code: m for m in Metric.objects.filter(code__in=codes).select_related("department")}
        names = {item.person.strip().lower() for item in items if item.person and item.person.strip()}
        self.people: dict[str, User] = {}
        if names:
            found = (
                User.objects.annotate(username_ci=Lower("username"), email_ci=Lower("email"))
                .filter(Q(username_ci__in=names) | Q(email_ci__in=names))
                .select_related("department")
            )
            by_username = {}
            for person in found:
                by_username[person.username.lower()] = person
                self.people.setdefault(person.email.lower(), person)
            self.people.update(by_username)  # a username wins over someone else's e-mail address, as in CSV files


def to_rows(items: list[ReadingIn]) -> tuple[list[ReadingRow], list[RowError]]:
    """The readings as ReadingRow objects (line = the item's index), and what stopped the others."""
    lookup = _Lookup(items)
    zone = periods.organization_zone()
    rows, errors, seen = [], [], {}
    for index, item in enumerate(items):
        problems = []
        metric = lookup.metrics.get(item.metric)
        if metric is None:
            problems.append(RowError(index, "metric", f"There is no metric with the code “{item.metric}”."))
        person = None
        if item.person and item.person.strip():
            person = lookup.people.get(item.person.strip().lower())
            if person is None:
                problems.append(RowError(index, "person", f"Nobody has the username or e-mail “{item.person}”."))
        try:
            measured_at = parse_moment(item.measured_at.strip(), zone=zone)
        except ValueError as error:
            problems.append(RowError(index, "measured_at", str(error)))
            measured_at = None
        if problems:
            errors.extend(problems)
            continue
        key = (metric.pk, person.pk if person else None, measured_at)
        if key in seen:
            errors.append(
                RowError(index, "measured_at", f"Same reading as item {seen[key]}: the same metric, person and time.")
            )
            continue
        seen[key] = index
        rows.append(
            ReadingRow(
                metric=metric,
                person=person,
                measured_at=measured_at,
                value=item.value,
                denominator=item.denominator,
                note=item.note,
                line=index,
            )
        )
    return rows, errors


@router.post(
    "/readings",
    response={200: ReadingsOut, **WRITE_ERRORS},
    summary="Record readings",
    operation_id="record_readings",
)
def post_readings(
    request,
    payload: ReadingsIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=255),
):
    """Record 1 to 10,000 readings as the token's user, with the checks of the form and the CSV import.

    mode all_or_nothing (default): any problem in any row stores nothing and answers 422 with every row's
    problems in `errors` (index = the row's position). valid_rows_only: the good rows are stored, the others
    listed in `rejected`. The same metric, owner and time again updates the earlier reading. An Idempotency-Key
    header makes a retry return the first answer instead of writing again.
    """
    require_write(request)
    user = request.user

    def write() -> tuple[int, dict]:
        rows, errors = to_rows(payload.readings)
        if payload.mode == "all_or_nothing":
            if errors:
                errors += check_readings(rows=rows, recorded_by=user)
                _reject(errors)
            try:
                recorded = record_readings(rows=rows, recorded_by=user, source=Reading.Source.API, nudge_rollup=False)
            except ReadingsRejected as rejected:
                _reject(rejected.errors)
        else:
            recorded = record_readings(
                rows=rows, recorded_by=user, source=Reading.Source.API, valid_only=True, nudge_rollup=False
            )
            errors += recorded.rejected
        errors.sort(key=lambda e: e.line or 0)
        return 200, {"created": recorded.created, "updated": recorded.updated, "rejected": list(map(_problem, errors))}

    status, body = idempotency.once(request, key=idempotency_key, write=write)
    if status == 200 and (body.get("created") or body.get("updated")):
        # Visible at once, as after the form: rolled up in this request when the rollup lock is free and the
        # queue short, otherwise the worker is nudged (metrics.services.rollups.roll_up_now_if_free).
        rollups.roll_up_now_if_free()
    return Status(status, body)


def _reject(errors: list[RowError]) -> None:
    errors = sorted(errors, key=lambda e: e.line or 0)
    rows = len({e.line for e in errors})
    raise Problem(
        422,
        f"Nothing was stored: {rows:,} reading(s) have problems ({len(errors):,} in all). Fix them, or send "
        "mode valid_rows_only to store the others. First: " + str(errors[0].message),
        errors=[_problem(e) for e in errors[:1000]],
        slug="readings-rejected",
    )
