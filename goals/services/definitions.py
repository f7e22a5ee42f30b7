"""Quality definitions: writing, versioning, publishing, acknowledging and retiring them, and the reads that their
pages, the home page and the reminders share."""

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.db.models.lookups import StartsWith
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from core import periods
from core.exceptions import RuleViolation
from goals.models import AcceptanceCriterion, Acknowledgement, DefinitionVersion, QualityDefinition
from metrics.models import Metric
from metrics.selectors.figures import visible_metrics
from org import access
from org.models import Department, User
from outbox.models import OutgoingEmail
from outbox.services import queue_email
from webhooks import services as webhooks
from webhooks.events import Event

MAX_CRITERIA = 30


@dataclass(frozen=True)
class CriterionRow:
    """One acceptance criterion as a draft receives it: words, and optionally a metric and its threshold."""

    text: str
    metric: Metric | None = None
    threshold: float | None = None


@dataclass(frozen=True)
class Publication:
    version: DefinitionVersion
    asked: int  # people asked to acknowledge it (0 for a minor version)


# --- reads -------------------------------------------------------------------------------------------------------


def _published(definition_ref):
    return DefinitionVersion.objects.filter(definition=definition_ref, published_at__isnull=False)


def with_versions(queryset):
    """Definitions annotated with their current (latest published) version number and whether a draft exists."""
    latest = _published(OuterRef("pk")).order_by("-major", "-minor")
    return queryset.select_related("department").annotate(
        current_major=Subquery(latest.values("major")[:1]),
        current_minor=Subquery(latest.values("minor")[:1]),
        has_draft=Exists(DefinitionVersion.objects.filter(definition=OuterRef("pk"), published_at__isnull=True)),
    )


def current_version(definition: QualityDefinition) -> DefinitionVersion | None:
    return _published(definition).order_by("-major", "-minor").first()


def draft_of(definition: QualityDefinition) -> DefinitionVersion | None:
    return definition.versions.filter(published_at__isnull=True).first()


def versions_of(definition: QualityDefinition) -> list[DefinitionVersion]:
    """Every version, the draft first then newest to oldest, with criteria, metrics and publishers: three queries."""
    return list(
        definition.versions.select_related("published_by")
        .prefetch_related("criteria__metric")
        .order_by(F("published_at").desc(nulls_first=True), "-major", "-minor")
    )


# --- the audience: who a definition concerns, derived from the organization as it is now --------------------------
#
# Acknowledgement rows record who was asked and what they did; who must acknowledge is not frozen in them. It is
# the definition's current audience: the active people of the owning department's subtree (and of the served
# departments' subtrees when ask_served_departments). People who join or move in are asked (ask_newcomers adds
# their row when anything reads the audience); rows of people who left or moved out stay as history but count
# nowhere (asked_now filters them out).


def audience(definition: QualityDefinition):
    """The active people the definition concerns now (a lazy queryset: one query when read)."""
    condition = Q(department__path__startswith=definition.department.path)
    if definition.ask_served_departments:
        served = Department.objects.filter(
            StartsWith(OuterRef("department__path"), F("path")), served_by_definitions=definition
        )
        condition |= Q(Exists(served))
    return User.objects.filter(condition, is_active=True)


def asked_now():
    """Acknowledgement rows of people still in their definition's audience (active, in the owning or, when it asks
    them, a served department's subtree): the only rows that count as asked, in coverage, reminders and pages."""
    served = Department.objects.filter(
        StartsWith(OuterRef("person__department__path"), F("path")), served_by_definitions=OuterRef("definition")
    )
    return Acknowledgement.objects.filter(
        Q(person__department__path__startswith=F("definition__department__path"))
        | Q(Exists(served), definition__ask_served_departments=True),
        person__is_active=True,
    )


def definitions_concerning(person):
    """Published definitions, not retired, whose current audience includes the person; with current_major."""
    me = User.objects.filter(pk=person.pk, is_active=True)
    in_owner = me.filter(department__path__startswith=OuterRef("department__path"))
    served = Department.objects.filter(served_by_definitions=OuterRef("pk")).filter(
        Exists(me.filter(department__path__startswith=OuterRef("path")))
    )
    return (
        with_versions(QualityDefinition.objects.active())
        .filter(current_major__isnull=False)
        .filter(Q(Exists(in_owner)) | Q(Exists(served), ask_served_departments=True))
    )


def _current_major(definition: QualityDefinition) -> int | None:
    """The current major version number: the with_versions annotation when the definition has it (no query)."""
    if hasattr(definition, "current_major"):
        return definition.current_major
    current = current_version(definition)
    return current.major if current else None


def ask_newcomers(
    *, definition: QualityDefinition | None = None, person: User | None = None, at: datetime | None = None
) -> int:
    """Ask everyone now in the audience of a definition's current major version who has no row for it yet (they
    joined or moved in after it was published), or ask one person about every definition that concerns them.

    Idempotent: the unique (definition, major, person) row makes a repeated or concurrent call add nothing.
    Returns how many people were asked.
    """
    at = at or timezone.now()
    if person is not None:
        asked = Acknowledgement.objects.filter(
            definition=OuterRef("pk"), person=person, major=OuterRef("current_major")
        )
        pairs = definitions_concerning(person).filter(~Exists(asked)).values_list("pk", "current_major")
        rows = [Acknowledgement(definition_id=pk, major=major, person=person, requested_at=at) for pk, major in pairs]
    else:
        major = _current_major(definition)
        if major is None or definition.is_retired:
            return 0
        asked = Acknowledgement.objects.filter(definition=definition, major=major).values("person")
        rows = [
            Acknowledgement(definition=definition, major=major, person_id=pk, requested_at=at)
            for pk in audience(definition).exclude(pk__in=asked).values_list("pk", flat=True)
        ]
    if rows:
        Acknowledgement.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


def acknowledgement_of(*, definition: QualityDefinition, person: User, major: int) -> Acknowledgement | None:
    """The person's acknowledgement of that major version while they are in the definition's audience (asking them
    now if they joined or moved in since it was published); None when it does not concern them (any more)."""
    row = asked_now().filter(definition=definition, person=person, major=major).first()
    if (
        row is None
        and not definition.is_retired
        and major == _current_major(definition)
        and audience(definition).filter(pk=person.pk).exists()
    ):
        row, _created = Acknowledgement.objects.get_or_create(
            definition=definition, person=person, major=major, defaults={"requested_at": timezone.now()}
        )
    return row


def _still_asked():
    """Acknowledgements not given yet for the current major version of a definition that is not retired, by people
    still in its audience.

    A row for an older major version is history, not a request: the newer major version asked again.
    """
    newer_major = _published(OuterRef("definition")).filter(major__gt=OuterRef("major"))
    return (
        asked_now()
        .filter(acknowledged_at__isnull=True, definition__retired_at__isnull=True)
        .filter(~Exists(newer_major))
    )


def pending_acknowledgements(person):
    """The person's acknowledgements still to give, oldest request first (definitions that came to concern them
    since they were published are asked now)."""
    ask_newcomers(person=person)
    return _still_asked().filter(person=person).order_by("requested_at", "pk")


def criterion_line(criterion: AcceptanceCriterion) -> str:
    """A criterion as one readable line, e.g. 'First reply within 4 hours — First reply time at most 4 h'."""
    if criterion.metric_id is None:
        return criterion.text
    metric = criterion.metric
    if criterion.threshold is None:
        return f"{criterion.text} — measured by {metric.name}"
    bound = "at least" if metric.direction == Metric.Direction.HIGHER else "at most"
    unit = metric.unit if metric.unit in ("", "%") else f" {metric.unit}"
    return f"{criterion.text} — {metric.name} {bound} {criterion.threshold:g}{unit}"


# --- writes ------------------------------------------------------------------------------------------------------


def _require_manager(by: User, department: Department) -> None:
    if not access.can_manage(by, department):
        raise RuleViolation(
            f"Only managers of {department} (or an admin) may change its quality definitions.", field="department"
        )


def _require_not_retired(definition: QualityDefinition) -> None:
    if definition.is_retired:
        raise RuleViolation(f"“{definition}” is retired: it stays readable with its history but can no longer change.")


def _locked(definition: QualityDefinition) -> QualityDefinition:
    """The definition's row, locked until the transaction ends, so two publishes or edits take turns."""
    return QualityDefinition.objects.select_for_update().select_related("department").get(pk=definition.pk)


def _check_title(*, department: Department, title: str, exclude_pk: int | None = None) -> str:
    title = title.strip()
    if not title:
        raise RuleViolation("Name the product or service this definition is about.", field="title")
    clash = QualityDefinition.objects.annotate(lower=Lower("title")).filter(department=department, lower=title.lower())
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise RuleViolation(
            f"{department} already has a definition called “{title}”: choose another name, or edit that one.",
            field="title",
        )
    return title


def _validated(instance) -> None:
    """full_clean() as a RuleViolation naming the first field that is wrong."""
    try:
        instance.full_clean(validate_constraints=False)
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise RuleViolation(messages[0], field=None if field == "__all__" else field) from None


def _save_details(definition: QualityDefinition, served_departments) -> None:
    _validated(definition)
    try:
        with transaction.atomic():
            definition.save()
    except IntegrityError:  # a definition of the same name was saved at the same moment
        raise RuleViolation(
            f"{definition.department} already has a definition called “{definition.title}”.", field="title"
        ) from None
    definition.served_departments.set(served_departments)


@transaction.atomic
def create_definition(
    *,
    by: User,
    department: Department,
    title: str,
    external_customers: str = "",
    served_departments=(),
    ask_served_departments: bool = False,
    promise: str = "",
    criteria: list[CriterionRow] = (),
) -> QualityDefinition:
    """Create a definition for a department the person manages, with its first draft (promise and criteria).

    Raises RuleViolation when the person may not manage the department, the title is taken there, or a
    criterion is wrong (see save_draft).
    """
    _require_manager(by, department)
    definition = QualityDefinition(
        department=department,
        title=_check_title(department=department, title=title),
        external_customers=external_customers.strip(),
        ask_served_departments=ask_served_departments,
        created_by=by,
    )
    _save_details(definition, served_departments)
    save_draft(definition=definition, by=by, promise=promise, criteria=criteria, keep_if_unchanged=True)
    return definition


@transaction.atomic
def update_details(
    *,
    definition: QualityDefinition,
    by: User,
    title: str,
    external_customers: str = "",
    served_departments=(),
    ask_served_departments: bool = False,
) -> QualityDefinition:
    """Change what the definition is about and whom it serves (not versioned: the versions hold the promise)."""
    _require_manager(by, definition.department)
    definition = _locked(definition)
    _require_not_retired(definition)
    definition.title = _check_title(department=definition.department, title=title, exclude_pk=definition.pk)
    definition.external_customers = external_customers.strip()
    definition.ask_served_departments = ask_served_departments
    _save_details(definition, served_departments)
    return definition


def _checked_criteria(criteria, *, by: User, definition: QualityDefinition) -> list[CriterionRow]:
    rows = [CriterionRow(text=(c.text or "").strip(), metric=c.metric, threshold=c.threshold) for c in criteria]
    if len(rows) > MAX_CRITERIA:
        raise RuleViolation(
            f"A definition has at most {MAX_CRITERIA} acceptance criteria; merge some.", field="criteria"
        )
    # A metric may be linked when the person may see it, or when the definition already links it (an edit by
    # someone else keeps what an admin linked).
    wanted = {row.metric.pk for row in rows if row.metric is not None}
    allowed = set()
    if wanted:
        allowed = set(visible_metrics(by).filter(pk__in=wanted).values_list("pk", flat=True))
        allowed |= set(
            Metric.objects.filter(pk__in=wanted - allowed, criteria__version__definition=definition).values_list(
                "pk", flat=True
            )
        )
    for n, row in enumerate(rows, start=1):
        if not row.text:
            raise RuleViolation(
                f"Criterion {n}: describe it in words, e.g. “First reply within 4 business hours, 95% of tickets”.",
                field="criteria",
            )
        if row.threshold is not None and row.metric is None:
            raise RuleViolation(
                f"Criterion {n}: a threshold needs the metric it applies to; choose the metric or "
                "leave the threshold empty.",
                field="criteria",
            )
        if row.metric is not None and row.metric.pk not in allowed:
            raise RuleViolation(
                f"Criterion {n}: you cannot link the metric “{row.metric}”; choose one of the metrics you can see.",
                field="criteria",
            )
        if row.threshold is not None and not float("-inf") < row.threshold < float("inf"):
            raise RuleViolation(f"Criterion {n}: the threshold must be a number.", field="criteria")
    return rows


def _content(promise: str, criteria) -> tuple:
    return promise.strip(), tuple((c.text, c.metric.pk if c.metric else None, c.threshold) for c in criteria)


def _version_content(version: DefinitionVersion) -> tuple:
    return _content(
        version.promise,
        [
            CriterionRow(text=c.text, metric=c.metric, threshold=c.threshold)
            for c in version.criteria.select_related("metric")
        ],
    )


@transaction.atomic
def save_draft(
    *,
    definition: QualityDefinition,
    by: User,
    promise: str,
    criteria: list[CriterionRow],
    keep_if_unchanged: bool = False,
) -> DefinitionVersion | None:
    """Write the draft: its promise, and its criteria replaced as a set, in the order given.

    The first save after a publication starts a new draft. A draft identical to the current version is not kept
    (nothing to publish), unless keep_if_unchanged. Returns the draft, or None when there is none.
    Raises RuleViolation when the person may not manage the definition, it is retired, or a criterion is wrong:
    it has no words, a threshold without a metric, or a metric the person may not see.
    """
    _require_manager(by, definition.department)
    definition = _locked(definition)
    _require_not_retired(definition)
    rows = _checked_criteria(criteria, by=by, definition=definition)
    draft = draft_of(definition)
    current = current_version(definition)
    if not keep_if_unchanged and current is not None and _content(promise, rows) == _version_content(current):
        if draft is not None:
            draft.delete()
        return None
    if draft is None:
        draft = DefinitionVersion(
            definition=definition, major=current.major if current else 0, minor=current.minor if current else 0
        )
    draft.promise = promise.strip()
    draft.save()
    draft.criteria.all().delete()
    AcceptanceCriterion.objects.bulk_create(
        [
            AcceptanceCriterion(
                version=draft, position=n, text=row.text[:300], metric=row.metric, threshold=row.threshold
            )
            for n, row in enumerate(rows)
        ]
    )
    return draft


@transaction.atomic
def revise_definition(
    *,
    definition: QualityDefinition,
    by: User,
    title: str,
    external_customers: str = "",
    served_departments=(),
    ask_served_departments: bool = False,
    promise: str,
    criteria: list[CriterionRow],
) -> tuple[QualityDefinition, DefinitionVersion | None]:
    """An edit of a definition: its details (update_details) and its draft (save_draft), both saved or neither.

    Returns the definition as saved and the draft, or None when the content equals the current version.
    Raises RuleViolation as those two do; a refused draft leaves the details as they were.
    """
    definition = update_details(
        definition=definition,
        by=by,
        title=title,
        external_customers=external_customers,
        served_departments=served_departments,
        ask_served_departments=ask_served_departments,
    )
    draft = save_draft(definition=definition, by=by, promise=promise, criteria=criteria)
    return definition, draft


def _ask_to_acknowledge(definition: QualityDefinition, *, major: int, at: datetime, by: User) -> int:
    """Acknowledgement rows for every active person the definition concerns; the publisher has read it already."""
    people = audience(definition)
    rows = [
        Acknowledgement(
            definition=definition,
            major=major,
            person_id=pk,
            requested_at=at,
            acknowledged_at=at if pk == by.pk else None,
        )
        for pk in people.values_list("pk", flat=True)
    ]
    Acknowledgement.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


@transaction.atomic
def publish(
    *, definition: QualityDefinition, major: bool, change_summary: str, by: User, at: datetime | None = None
) -> Publication:
    """Make the draft an immutable version: v1.0 first, then the next major (x+1.0) or minor (x.y+1) number.

    A major version (and the first) asks everyone in the owning department's subtree, and in the served
    departments' subtrees when ask_served_departments, to acknowledge it; a minor one asks nobody again.
    Raises RuleViolation when the definition is retired, has no draft, the draft has no promise or no criteria,
    is the same as the current version, or a later version has no change summary.
    """
    _require_manager(by, definition.department)
    definition = _locked(definition)
    _require_not_retired(definition)
    at = at or timezone.now()
    draft = draft_of(definition)
    if draft is None:
        raise RuleViolation("There is no draft to publish: edit the definition first, then publish it.")
    if not draft.promise.strip():
        raise RuleViolation(
            "The draft has no promise yet: edit it and write, in plain words, what the customer can count on."
        )
    if not draft.criteria.exists():
        raise RuleViolation(
            "The draft has no acceptance criteria yet: edit it and add at least one measurable criterion."
        )
    current = current_version(definition)
    summary = change_summary.strip()
    if current is None:
        number, major, summary = (1, 0), True, summary or "First version."
    elif not summary:
        raise RuleViolation(
            "Say in a sentence what changed and why, for the people who read the history.", field="change_summary"
        )
    elif _version_content(draft) == _version_content(current):
        raise RuleViolation(f"The draft is the same as {current.label}: change the promise or the criteria first.")
    else:
        number = (current.major + 1, 0) if major else (current.major, current.minor + 1)
    draft.major, draft.minor = number
    draft.change_summary = summary[:300]
    draft.published_at, draft.published_by = at, by
    draft.save(update_fields=["major", "minor", "change_summary", "published_at", "published_by"])
    asked = _ask_to_acknowledge(definition, major=draft.major, at=at, by=by) if major else 0
    _announce_version(definition, draft, by=by, asked=asked)
    return Publication(version=draft, asked=asked)


def _announce_version(definition: QualityDefinition, version: DefinitionVersion, *, by: User, asked: int) -> None:
    """The "definition.version_published" webhook event, for the owning department and the served ones."""
    if not webhooks.is_wanted(event=Event.DEFINITION_VERSION_PUBLISHED):
        return
    department = definition.department
    webhooks.emit(
        event=Event.DEFINITION_VERSION_PUBLISHED,
        departments=[department, *definition.served_departments.all()],
        payload={
            "definition": {"id": definition.pk, "title": definition.title},
            "department": {"id": department.pk, "code": department.code, "name": department.name},
            "version": {
                "id": version.pk,
                "label": version.label,
                "major": version.major,
                "minor": version.minor,
                "promise": version.promise,
                "change_summary": version.change_summary,
                "published_at": version.published_at,
                "published_by": by.display_name,
            },
            "people_asked_to_acknowledge": asked,
        },
        summary=f"“{definition.title}” ({department}) {version.label} published: {version.change_summary}",
        url=definition.get_absolute_url(),
    )


def acknowledge(*, definition: QualityDefinition, person: User, at: datetime | None = None) -> Acknowledgement:
    """Record that the person read and confirms the definition's current major version. Doing it twice is harmless.

    Raises RuleViolation when the person has nothing to acknowledge for it.
    """
    current = current_version(definition)
    if current is None or definition.is_retired:
        raise RuleViolation(f"“{definition}” has no version to acknowledge.")
    row = acknowledgement_of(definition=definition, person=person, major=current.major)
    if row is None:
        raise RuleViolation(
            f"You are not asked to acknowledge “{definition}” version {current.major}; it concerns other departments."
        )
    if row.acknowledged_at is None:
        Acknowledgement.objects.filter(pk=row.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=at or timezone.now()
        )
        row.refresh_from_db(fields=["acknowledged_at"])
    return row


@transaction.atomic
def retire(*, definition: QualityDefinition, by: User, at: datetime | None = None) -> QualityDefinition:
    """Retire the definition: it stays readable with its history, asks nobody anything and can no longer change."""
    _require_manager(by, definition.department)
    definition = _locked(definition)
    _require_not_retired(definition)
    definition.retired_at, definition.retired_by = at or timezone.now(), by
    definition.save(update_fields=["retired_at", "retired_by"])
    return definition


# --- differences between versions --------------------------------------------------------------------------------

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added", "removed" or "changed"
    html: SafeString


@dataclass(frozen=True)
class VersionDiff:
    old: DefinitionVersion
    new: DefinitionVersion
    promise: SafeString
    criteria: list[DiffLine]

    @property
    def unchanged(self) -> bool:
        return (
            "<ins>" not in self.promise
            and "<del>" not in self.promise
            and all(line.kind == "same" for line in self.criteria)
        )


def word_diff(old: str, new: str) -> SafeString:
    """The new text with removed words in <del> and added ones in <ins>, everything escaped."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        removed, added = "".join(a[i1:i2]), "".join(b[j1:j2])
        if op == "equal":
            parts.append(conditional_escape(added))
            continue
        if removed:
            parts.append(format_html("<del>{}</del>", removed))
        if added:
            parts.append(format_html("<ins>{}</ins>", added))
    return mark_safe("".join(parts))  # every piece is escaped above


def _line_diff(old: list[str], new: list[str]) -> list[DiffLine]:
    lines = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            lines += [DiffLine("same", conditional_escape(line)) for line in new[j1:j2]]
            continue
        paired = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for k in range(paired):  # a criterion reworded: show the words that changed
            lines.append(DiffLine("changed", word_diff(old[i1 + k], new[j1 + k])))
        lines += [DiffLine("removed", format_html("<del>{}</del>", line)) for line in old[i1 + paired : i2]]
        lines += [DiffLine("added", format_html("<ins>{}</ins>", line)) for line in new[j1 + paired : j2]]
    return lines


def diff_versions(old: DefinitionVersion, new: DefinitionVersion) -> VersionDiff:
    """A readable difference between two versions: the promise word by word, the criteria line by line.

    Uses the versions' prefetched criteria (versions_of) when there are any.
    """
    return VersionDiff(
        old=old,
        new=new,
        promise=word_diff(old.promise, new.promise),
        criteria=_line_diff(
            [criterion_line(c) for c in old.criteria.all()], [criterion_line(c) for c in new.criteria.all()]
        ),
    )


# --- acknowledgement coverage ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentCoverage:
    department_id: int | None
    name: str
    level: int  # depth below the highest department listed, for indenting the tree
    asked: int
    acknowledged: int

    @property
    def missing(self) -> int:
        return self.asked - self.acknowledged

    @property
    def percent(self) -> int:
        return round(100 * self.acknowledged / self.asked) if self.asked else 0


def coverage(*, definition: QualityDefinition, major: int) -> list[DepartmentCoverage]:
    """Per department of the people asked: how many were asked to acknowledge this major version and how many did.

    The current audience counts: newcomers are asked first, people who left or moved out do not count. One query
    grouped by department, after the one that asks newcomers.
    """
    ask_newcomers(definition=definition)
    rows = (
        asked_now()
        .filter(definition=definition, major=major)
        .values(
            "person__department", "person__department__name", "person__department__depth", "person__department__path"
        )
        .annotate(asked=Count("pk"), acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)))
        .order_by("person__department__path")
    )
    rows = list(rows)
    top = min((r["person__department__depth"] or 0 for r in rows), default=0)
    return [
        DepartmentCoverage(
            department_id=r["person__department"],
            name=r["person__department__name"] or "No department",
            level=(r["person__department__depth"] or 0) - top,
            asked=r["asked"],
            acknowledged=r["acknowledged"],
        )
        for r in rows
    ]


def missing_acknowledgements(*, definition: QualityDefinition, major: int, department_id: int | None = None):
    """Who is asked (now in the audience) to acknowledge this major version and has not yet, by department and name."""
    rows = asked_now().filter(definition=definition, major=major, acknowledged_at__isnull=True)
    if department_id is not None:
        rows = rows.filter(person__department_id=department_id)
    return rows.select_related("person__department").order_by(
        "person__department__path", "person__last_name", "person__first_name", "person__username"
    )


# --- reminders ---------------------------------------------------------------------------------------------------


def reminder_delays() -> tuple[timedelta, timedelta]:
    """(first reminder after, then at most once per) from settings, in days."""
    first = getattr(settings, "KEEL_ACK_REMINDER_DAYS", 3)
    interval = getattr(settings, "KEEL_ACK_REMINDER_INTERVAL_DAYS", 7)
    return timedelta(days=first), timedelta(days=interval)


def _reminder_body(person: User, rows: list[dict]) -> str:
    site = settings.KEEL_SITE_URL.rstrip("/")
    lines = [
        f"Hello {person['first_name'] or person['username']},",
        "",
        "You are asked to read and acknowledge "
        + ("this quality definition:" if len(rows) == 1 else f"these {len(rows)} quality definitions:"),
        "",
    ]
    for row in rows:
        asked = timezone.localtime(row["requested_at"], periods.organization_zone())
        url = site + reverse("goals:definition", args=[row["definition"]])
        lines.append(f"- {row['definition__title']} (version {row['major']}, asked on {asked:%d %B %Y}): {url}")
    lines += [
        "",
        "Open each one, read the promise and its acceptance criteria, and press Acknowledge. You can also "
        f"acknowledge them from your Today page: {site}/",
        "",
        "Keel",
    ]
    return "\n".join(lines)


def send_reminders(*, now: datetime | None = None, limit: int = 1000) -> int:
    """E-mail each person whose acknowledgements are overdue one reminder listing them all; returns e-mails queued.

    A row is due when it was requested more than KEEL_ACK_REMINDER_DAYS ago and not reminded within
    KEEL_ACK_REMINDER_INTERVAL_DAYS. Each person's due rows are claimed with one conditional UPDATE that re-checks
    that they are still due, inside the transaction that queues the e-mail: a concurrent run (or a retried task)
    updates fewer rows than it read, rolls back and leaves that person alone, so nobody is reminded twice. The
    dedup key (person and day) is the second guard: a person reminded today is not e-mailed again today.
    At most `limit` people per run; the next hourly run continues.
    """
    now = now or timezone.now()
    for definition in with_versions(QualityDefinition.objects.active()).filter(current_major__isnull=False):
        ask_newcomers(definition=definition, at=now)
    first, interval = reminder_delays()
    due = Q(acknowledged_at__isnull=True) & (Q(reminded_at__isnull=True) | Q(reminded_at__lte=now - interval))
    rows = list(
        _still_asked()
        .filter(due, requested_at__lte=now - first, person__is_active=True)
        .exclude(person__email="")
        .order_by("person_id", "requested_at")
        .values("pk", "person_id", "definition", "definition__title", "major", "requested_at")
    )
    by_person: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        if row["person_id"] in by_person or len(by_person) < limit:
            by_person[row["person_id"]].append(row)
    if not by_person:
        return 0
    day = periods.local_day(now)
    keys = {pk: f"ack-reminder:{pk}:{day.isoformat()}" for pk in by_person}
    already = set(OutgoingEmail.objects.filter(dedup_key__in=keys.values()).values_list("dedup_key", flat=True))
    people = {p["pk"]: p for p in User.objects.filter(pk__in=by_person).values("pk", "username", "first_name", "email")}
    queued = 0
    for person_id, person_rows in by_person.items():
        if keys[person_id] in already:
            continue
        with transaction.atomic():
            ids = [row["pk"] for row in person_rows]
            claimed = Acknowledgement.objects.filter(due, pk__in=ids).update(
                reminded_at=now, reminders=F("reminders") + 1
            )
            if claimed != len(ids):  # another run took some of them: it reminds this person, not us
                transaction.set_rollback(True)
                continue
            person = people[person_id]
            count = len(person_rows)
            subject = (
                f"Please acknowledge “{person_rows[0]['definition__title']}”"
                if count == 1
                else f"Please acknowledge {count} quality definitions"
            )
            queue_email(
                to=person["email"], subject=subject, body=_reminder_body(person, person_rows), dedup_key=keys[person_id]
            )
            queued += 1
    return queued
