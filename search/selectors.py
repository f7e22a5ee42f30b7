"""The header's search: people, departments, metrics, goals, definitions, campaigns and customers the person may see.

Each kind is searched in one query over the queryset its own app's access rule narrows to the person (the pages
answer 404 for the rest, so a hit always links to a page that opens). PostgreSQL ranks with full-text search
(the ``simple`` configuration, every word a prefix: ``qual def`` finds "Quality definition"); other databases
match every word as a case-insensitive substring. Either way a name that starts with the typed text ranks first.
"""

import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, F, FloatField, Q, Value, When
from django.urls import reverse

from customers.selectors.visibility import visible_campaigns, visible_customers
from goals.selectors.visibility import visible_definitions, visible_goals
from metrics.selectors.figures import visible_metrics
from org import access
from org.models import User

MAX_QUERY_LENGTH = 200
MAX_WORDS = 8
WORD = re.compile(r"\w+", re.UNICODE)
CUSTOMER_FIELDS = ("name", "email", "segment", "products")
CANDIDATES = 1000  # the most customers ranked for one search: "a" may match a million


@dataclass(frozen=True)
class Kind:
    """One kind of thing the search finds: its label, where its rows come from, and how a row reads."""

    key: str
    label: str
    fields: tuple[str, ...]  # searched, the first is the name that "starts with" ranks on
    rows: object  # callable(user) -> QuerySet of what the person may open

    def queryset(self, user):
        return self.rows(user)


@dataclass(frozen=True)
class Hit:
    kind: str
    title: str
    detail: str
    url: str
    score: float


def _people(user):
    people = User.objects.filter(is_active=True).select_related("department")
    if access.is_admin(user):
        return people.exclude(department=None)
    return people.filter(department__in=access.visible_departments(user))


def _departments(user):
    return access.visible_departments(user).select_related("parent")


KINDS = (
    Kind("people", "People", ("first_name", "last_name", "username", "email", "job_title"), _people),
    Kind("departments", "Departments", ("name", "code", "description"), _departments),
    Kind(
        "metrics",
        "Metrics",
        ("name", "code", "description"),
        lambda user: visible_metrics(user).select_related("department"),
    ),
    Kind("goals", "Goals", ("title", "description"), lambda user: visible_goals(user).select_related("department")),
    Kind(
        "definitions",
        "Quality definitions",
        ("title", "external_customers"),
        lambda user: visible_definitions(user).select_related("department"),
    ),
    Kind("campaigns", "Reality checks", ("title",), lambda user: visible_campaigns(user).select_related("department")),
    Kind(
        "customers",
        "Customers",
        CUSTOMER_FIELDS,  # indexed on PostgreSQL (search/migrations/0001): keep the two in step
        lambda user: visible_customers(user).select_related("department"),
    ),
)


def words_of(text: str) -> list[str]:
    """The words of a typed query: letters and digits only (so nothing reaches a tsquery unescaped), at most
    ``MAX_WORDS`` of them, from at most ``MAX_QUERY_LENGTH`` characters; [] when there is nothing to look for."""
    return [w.lower() for w in WORD.findall((text or "")[:MAX_QUERY_LENGTH])][:MAX_WORDS]


def _describe(kind: str, row) -> tuple[str, str, str]:
    """(title, detail, url) of one row, for the results list."""
    if kind == "people":
        detail = " · ".join(part for part in (row.job_title, str(row.department)) if part)
        url = reverse("org:department", args=[row.department_id]) + f"?person={row.pk}#person-{row.pk}"
        return row.display_name, detail, url
    if kind == "departments":
        return row.name, str(row.parent) if row.parent_id else "Top of the organization", row.get_absolute_url()
    if kind == "customers":
        detail = " · ".join(part for part in (row.email, row.segment, str(row.department)) if part)
        return row.name, detail, reverse("customers:customer_edit", args=[row.pk])
    department = getattr(row, "department", None)
    detail = str(department) if department else "Organization"
    title = getattr(row, "name", None) or row.title
    return title, detail, row.get_absolute_url()


def _ranked(kind: Kind, queryset, words: list[str], text: str):
    name = kind.fields[0]
    starts = Q(**{f"{name}__istartswith": text.strip()[:MAX_QUERY_LENGTH]})
    if kind.key == "people":
        starts |= Q(last_name__istartswith=words[0])
    boost = Case(When(starts, then=Value(1.0)), default=Value(0.0), output_field=FloatField())
    if connection.vendor == "postgresql":
        vector = SearchVector(*kind.fields, config="simple")
        query = SearchQuery(" & ".join(f"{w}:*" for w in words), search_type="raw", config="simple")
        matching = queryset.annotate(search_document=vector).filter(search_document=query)
        if kind.key == "customers":  # millions of rows: rank a bounded set of matches the index finds first
            matching = queryset.filter(pk__in=matching.values("pk")[:CANDIDATES])
        return matching.annotate(score=SearchRank(vector, query) + boost)
    condition = Q()
    for word in words:
        any_field = Q()
        for field in kind.fields:
            any_field |= Q(**{f"{field}__icontains": word})
        condition &= any_field
    return queryset.filter(condition).annotate(score=boost + Value(0.1, output_field=FloatField()))


def search(*, user, text: str, per_kind: int = 5, kinds: tuple[str, ...] | None = None) -> list[tuple[Kind, list[Hit]]]:
    """What ``user`` may open that matches ``text``: ``[(kind, [hit, ...]), ...]``, at most ``per_kind`` hits each,
    best first; kinds with hits are ordered by their best hit. One query per kind searched (seven at most).

    ``text`` is free text of any length: only its first ``MAX_QUERY_LENGTH`` characters and ``MAX_WORDS`` words
    count; nothing to look for gives []. ``kinds`` narrows to some keys of ``KINDS``.
    """
    words = words_of(text)
    if not words or not user.is_authenticated:
        return []
    found = []
    for kind in KINDS:
        if kinds and kind.key not in kinds:
            continue
        rows = _ranked(kind, kind.queryset(user), words, text)
        order = [F("score").desc(nulls_last=True), kind.fields[0], "pk"]
        if kind.key == "people":
            order = [F("score").desc(nulls_last=True), "last_name", "first_name", "pk"]
        hits = []
        for row in rows.order_by(*order)[:per_kind]:
            title, detail, url = _describe(kind.key, row)
            hits.append(Hit(kind.key, title, detail, url, float(row.score or 0)))
        if hits:
            found.append((kind, hits))
    found.sort(key=lambda pair: -pair[1][0].score)
    return found


__all__ = ["KINDS", "Hit", "Kind", "search", "words_of"]
