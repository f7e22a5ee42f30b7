"""Shapes shared by every endpoint: the problem document, the error responses, and cursor pages."""

from ninja import Schema
from pydantic import Field

from api.problems import CONTENT_TYPE  # noqa: F401 (documented next to the schema that uses it)


class FieldProblem(Schema):
    pointer: str = Field(description="JSON pointer into the request body (or the parameter's name).")
    field: str
    index: int | None = Field(None, description="The row's position in a list of rows, from 0.")
    detail: str


class ProblemOut(Schema):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] = []


READ_ERRORS = {401: ProblemOut, 404: ProblemOut, 422: ProblemOut, 429: ProblemOut}
WRITE_ERRORS = {**READ_ERRORS, 400: ProblemOut, 403: ProblemOut, 413: ProblemOut}
