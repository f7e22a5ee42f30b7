"""Cursor pagination: a page of a queryset ordered by id, and an opaque cursor for the next one.

A cursor is the last id of a page, encoded; it stays valid while rows are added or removed (unlike offsets), and
a cursor that cannot be read is a 422 problem, never a 500.
"""

import base64
import binascii

from ninja import Schema
from pydantic import Field

from api.problems import Problem

LIMIT_DEFAULT = 50
LIMIT_MAX = 500


class PageQuery(Schema):
    cursor: str | None = Field(None, max_length=100, description="next_cursor of the previous page; empty: the first.")
    limit: int = Field(LIMIT_DEFAULT, ge=1, le=LIMIT_MAX, description="Items per page.")


def _decode(cursor: str) -> int:
    try:
        value = int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
    except (ValueError, binascii.Error, UnicodeError):
        raise Problem(422, "The cursor cannot be read: pass next_cursor from the previous page as it is.") from None
    if not 0 <= value < 2**63:
        raise Problem(422, "The cursor cannot be read: pass next_cursor from the previous page as it is.")
    return value


def _encode(pk: int) -> str:
    return base64.urlsafe_b64encode(str(pk).encode()).decode().rstrip("=")


def page(queryset, query: PageQuery) -> tuple[list, str | None]:
    """(items, next_cursor) of the queryset in id order; next_cursor is None on the last page."""
    if query.cursor:
        queryset = queryset.filter(pk__gt=_decode(query.cursor))
    items = list(queryset.order_by("pk")[: query.limit + 1])
    more = len(items) > query.limit
    items = items[: query.limit]
    return items, (_encode(items[-1].pk) if more and items else None)
