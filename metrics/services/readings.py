"""Writing readings (one validated path for every source) and the metric rules around them."""

import io
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import connection, transaction
from django.forms import BaseInlineFormSet, ModelForm
from django.utils import timezone

from core import best_effort, dates, periods
from core.exceptions import RuleViolation
from metrics import status
from metrics.models import ClosedPeriod, Metric, OwnerType, Reading, RollupQueue, Target
from org import access
from org.models import Department, User
from org.paths import subtree_sql
from webhooks import services as webhooks
from webhooks.events import Event

BATCH = 1000
NOTE_LENGTH = 500  # Reading.note's max_length

# The bounds of a reading, chosen so that every aggregate of readings stays an ordinary number. A bucket holds
# at most a month of readings; even a million readings a day of the largest value sum to 3e19 a month, and a
# ratio's figure (sum of values / sum of denominators × the metric's scale, at most RATIO_SCALE_LIMIT) stays
# below 1e12 / 1e-6 × 1e6 = 1e24: far inside a double's range (1.8e308), where `1e308` twice on one day made the
# day's sum overflow and every rollup run fail. No real quality figure (a count, a time, a percentage, money)
# comes near 1e12, and a denominator (units, tickets, hours) is never below a millionth.
VALUE_LIMIT = 1e12  # |value| <= VALUE_LIMIT
DENOMINATOR_SMALLEST = 1e-6  # DENOMINATOR_SMALLEST <= denominator <= VALUE_LIMIT
RATIO_SCALE_LIMIT = 1e6  # a metric's ratio_scale is at most this (metrics.forms.MetricForm)


@dataclass
class ReadingRow:
    """One reading to record, whatever its source; `line` is its place in the source (a CSV line number)."""

    metric: Metric
    person: User | None
    measured_at: datetime
    value: float
    denominator: float | None = None
    note: str = ""
    line: int | None = None
    _day: date | None = field(default=None, repr=False, compare=False)

    @property
    def day(self) -> date:
        """measured_at's day in the organization's zone (computed once: every check and write needs it)."""
        if self._day is None:
            self._day = periods.local_day(self.measured_at)
        return self._day


@dataclass(frozen=True)
class RowError:
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


@dataclass
class Recorded:
    created: int = 0
    updated: int = 0
    rejected: list[RowError] = field(default_factory=list)


class ReadingsRejected(RuleViolation):
    def __init__(self, errors: list[RowError]):
        first = errors[0]
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        super().__init__(f"{first}{more}", field=first.field)
        self.errors = errors


def _fmt(metric: Metric, value: float) -> str:
    return f"{value:,.{metric.decimals}f}{(' ' + metric.unit) if metric.unit and metric.unit != '%' else metric.unit}"


class ReadingRules:
    """The checks every reading passes, with what they need loaded once for a whole batch.

    PostgreSQL's CSV import flags the rows these checks may refuse in SQL first (import_staging.SUSPECT) and asks
    problems() only about those: a check added here needs its condition there too (tests/metrics/
    test_import_staging.py compares the two paths on every kind of bad row).
    """

    def __init__(self, *, recorded_by: User, override_reason: str = "", now: datetime | None = None):
        self.user = recorded_by
        self.is_admin = access.is_admin(recorded_by)
        self.override_reason = override_reason.strip()
        self.now = now or timezone.now()
        self._closed: dict[int, list[ClosedPeriod]] | None = None
        self._may_record: dict[tuple, bool] = {}

    def load_closed_periods(self, rows: list[ReadingRow]) -> None:
        """Closed periods of the rows' departments and everything above them, in one query."""
        department_paths = {self.department_of(r).path for r in rows if self.department_of(r) is not None}
        ids = {int(part) for path in department_paths for part in path.strip("/").split("/") if part}
        days = [
            r.day
            for r in rows
            if r.measured_at and timezone.is_aware(r.measured_at) and dates.problem(r.measured_at) is None
        ]
        self._closed = {}
        if ids and days:
            for closed in (
                ClosedPeriod.objects.in_force()
                .filter(department_id__in=ids, end__gte=min(days), start__lte=max(days))
                .select_related("department")
            ):
                self._closed.setdefault(closed.department_id, []).append(closed)

    @staticmethod
    def department_of(row: ReadingRow) -> Department | None:
        if row.metric.per_person:
            return row.person.department if row.person else None
        return row.metric.department

    def may_record(self, metric: Metric, person: User | None) -> bool:
        """access.can_record_reading, asked once per metric and kind of owner of a batch."""
        key = (metric.id, person.id == self.user.id if person else None, person.department_id if person else None)
        if key not in self._may_record:
            self._may_record[key] = access.can_record_reading(self.user, metric, person)
        return self._may_record[key]

    def problems(self, row: ReadingRow) -> list[RowError]:
        metric, line = row.metric, row.line
        errors = []

        def fail(where: str, message: str) -> None:
            errors.append(RowError(line, where, message))

        if metric.is_archived:
            fail("metric", f"“{metric}” is archived: it no longer takes readings.")
            return errors
        if metric.per_person and row.person is None:
            fail("person", f"Choose whose reading this is: “{metric}” is recorded for each person.")
            return errors
        if not metric.per_person and row.person is not None:
            fail("person", f"“{metric}” belongs to the department, not to one person: leave the person empty.")
            return errors
        if row.person is not None:
            if not row.person.is_active:
                fail("person", f"{row.person} has left (inactive): readings are no longer accepted for them.")
            elif row.person.department is None or not row.person.department.is_below(metric.department):
                fail(
                    "person",
                    f"{row.person} is not in {metric.department} or a department below it, so "
                    f"“{metric}” does not apply to them.",
                )
                return errors
        if not self.may_record(metric, row.person):
            whose = f" for {row.person}" if row.person and row.person.pk != self.user.pk else ""
            fail("metric", f"You may not record readings of “{metric}”{whose}.")
            return errors
        if not isinstance(row.value, int | float) or not math.isfinite(row.value):
            fail("value", "The value must be a number.")
        elif abs(row.value) > VALUE_LIMIT:
            fail(
                "value",
                f"{row.value:g} is too large: a reading lies between {-VALUE_LIMIT:,.0f} and "
                f"{VALUE_LIMIT:,.0f}. Check the unit (record thousands as thousands, not as units).",
            )
        else:
            if metric.min_value is not None and row.value < metric.min_value:
                fail(
                    "value",
                    f"{_fmt(metric, row.value)} is below the lowest valid value of “{metric}” "
                    f"({_fmt(metric, metric.min_value)}).",
                )
            if metric.max_value is not None and row.value > metric.max_value:
                fail(
                    "value",
                    f"{_fmt(metric, row.value)} is above the highest valid value of “{metric}” "
                    f"({_fmt(metric, metric.max_value)}).",
                )
        if len(row.note) > NOTE_LENGTH:
            fail("note", f"Keep the note to {NOTE_LENGTH} characters (it has {len(row.note)}).")
        elif "\x00" in row.note:
            fail("note", "The note contains a NUL character; remove it.")
        if metric.is_ratio:
            label = metric.denominator_label or "the denominator"
            if (
                row.denominator is None
                or not isinstance(row.denominator, int | float)
                or not math.isfinite(row.denominator)
                or row.denominator <= 0
            ):
                fail("denominator", f"“{metric}” is a ratio: give {label}, a number above 0.")
            elif not DENOMINATOR_SMALLEST <= row.denominator <= VALUE_LIMIT:
                fail(
                    "denominator",
                    f"{row.denominator:g} is outside the range of {label}: give a number between "
                    f"{DENOMINATOR_SMALLEST:g} and {VALUE_LIMIT:,.0f}.",
                )
        elif row.denominator is not None:
            fail("denominator", f"“{metric}” is not a ratio: leave the denominator empty.")
        if row.measured_at is None or timezone.is_naive(row.measured_at):
            fail("measured_at", "Give the date and time of the reading.")
            return errors
        if row.measured_at > self.now:
            local = timezone.localtime(row.measured_at, periods.organization_zone())
            fail("measured_at", f"Readings cannot be in the future ({local:%Y-%m-%d %H:%M} has not happened yet).")
            return errors
        too_early = dates.problem(row.measured_at)  # the moment's own date: its local day may not exist (year 1)
        if too_early:
            fail("measured_at", too_early)
            return errors
        closed = self.closed_period_for(row)
        if closed is not None:
            if not self.is_admin:
                fail(
                    "measured_at",
                    f"{closed} is closed, so its scorecard is frozen. Ask an admin to record "
                    "this reading with a reason.",
                )
            elif not self.override_reason:
                fail("measured_at", f"{closed} is closed: give a reason to record a reading in it.")
        return errors

    def closed_period_for(self, row: ReadingRow) -> ClosedPeriod | None:
        if not self._closed:
            return None
        department = self.department_of(row)
        if department is None:
            return None
        day = row.day
        for ancestor_id in [*department.ancestor_ids, department.pk]:
            for closed in self._closed.get(ancestor_id, []):
                if closed.start <= day <= closed.end:
                    return closed
        return None


def check_readings(*, rows: list[ReadingRow], recorded_by: User, override_reason: str = "") -> list[RowError]:
    """Every problem with every row, without writing anything."""
    rules = ReadingRules(recorded_by=recorded_by, override_reason=override_reason)
    rules.load_closed_periods(rows)
    return [error for row in rows for error in rules.problems(row)]


def record_readings(
    *,
    rows: Iterable[ReadingRow],
    recorded_by: User,
    source: str,
    override_reason: str = "",
    valid_only: bool = False,
    nudge_rollup: bool = True,
) -> Recorded:
    """Validate and store readings; the same metric, owner and time again updates the earlier reading.

    All or nothing by default: any bad row raises ReadingsRejected (with every row's problems) and nothing is
    written. With valid_only=True the good rows are stored and the bad ones returned in `rejected`.
    Touched rollup buckets are queued in the same transaction; a rollup is enqueued after it commits, unless
    nudge_rollup=False: a caller writing many batches in one transaction calls nudge_rollup_on_commit() once.
    """
    rows = list(rows)
    rules = ReadingRules(recorded_by=recorded_by, override_reason=override_reason)
    rules.load_closed_periods(rows)
    result = Recorded()
    good = []
    for row in rows:
        problems = rules.problems(row)
        if problems:
            result.rejected.extend(problems)
        else:
            good.append(row)
    if result.rejected and not valid_only:
        raise ReadingsRejected(result.rejected)
    if not good:
        return result
    with transaction.atomic():
        result.created = store_rows(
            good, recorded_by=recorded_by, source=source, override_reason=override_reason if rules.is_admin else ""
        )
        result.updated = len(good) - result.created
        announce_below_target(good, department_of=rules.department_of, source=source)
        if nudge_rollup:
            nudge_rollup_on_commit()
    return result


def _figure(row: ReadingRow) -> float:
    """The reading as its metric's figure: the value, or for a ratio value / denominator × the metric's scale."""
    metric = row.metric
    return row.value / row.denominator * metric.ratio_scale if metric.is_ratio else row.value


def announce_below_target(rows: list[ReadingRow], *, department_of, source: str) -> int:
    """Emit one "reading.below_target" webhook event per metric and department for the stored rows whose figure
    is worse than the metric's target on their day (at the metric's decimals, metrics.status.meets).

    Summed metrics are left out: one reading is a part of the period's figure, not comparable to its target.
    The event names no person. Costs one query when nobody subscribes, one more for the targets otherwise.
    Returns how many events were emitted.
    """
    if not rows or not webhooks.is_wanted(event=Event.READING_BELOW_TARGET):
        return 0
    metrics = {row.metric.id: row.metric for row in rows if row.metric.aggregation != Metric.Aggregation.SUM}
    targets: dict[int, list[Target]] = {}
    for target in Target.objects.filter(metric_id__in=metrics):
        targets.setdefault(target.metric_id, []).append(target)
    groups: dict[tuple, dict] = {}
    in_force: dict[tuple, Target | None] = {}  # (metric, day): the target, looked up once per day of a batch
    for row in rows:
        metric = metrics.get(row.metric.id)
        department = department_of(row)
        if metric is None or department is None or metric.id not in targets:
            continue
        group = groups.setdefault((metric.id, department.pk), {"department": department, "recorded": 0, "below": []})
        group["recorded"] += 1
        day = (metric.id, row.day)
        if day not in in_force:
            in_force[day] = metric.target_on(row.day, targets[metric.id])
        target = in_force[day]
        figure = _figure(row)
        higher = metric.direction == Metric.Direction.HIGHER
        if target is not None and not status.meets(
            figure, target.target, higher_is_better=higher, decimals=metric.decimals
        ):
            gap = target.target - figure if higher else figure - target.target
            group["below"].append((gap, figure, target.target, row))
    emitted = 0
    for (metric_id, _department_id), group in groups.items():
        if not group["below"]:
            continue
        metric, department = metrics[metric_id], group["department"]
        _gap, figure, target, worst = max(group["below"], key=lambda item: item[0])
        below, recorded = len(group["below"]), group["recorded"]
        emitted += bool(
            webhooks.emit(
                event=Event.READING_BELOW_TARGET,
                departments=[department],
                payload={
                    "metric": {
                        "id": metric.id,
                        "code": metric.code,
                        "name": metric.name,
                        "unit": metric.unit,
                        "direction": metric.direction,
                    },
                    "department": {"id": department.pk, "code": department.code, "name": department.name},
                    "readings_recorded": recorded,
                    "readings_below_target": below,
                    "source": source,
                    "worst": {
                        "figure": status.rounded(figure, metric.decimals),
                        "target": status.rounded(target, metric.decimals),
                        "day": worst.day,
                        "measured_at": worst.measured_at,
                    },
                },
                summary=(
                    f"{metric} in {department}: {below} of {recorded} reading(s) below target; the worst "
                    f"{_fmt(metric, figure)} against a target of {_fmt(metric, target)}."
                ),
                url=metric.get_absolute_url(),
            )
        )
    return emitted


def nudge_rollup_on_commit() -> None:
    """Enqueue a rollup once the current transaction commits (at once outside a transaction); nothing if it rolls
    back. The queued buckets wait for the next rollup either way: this only makes it come sooner."""
    transaction.on_commit(_enqueue_rollup)


def _enqueue_rollup() -> None:
    from metrics.tasks import run_rollups

    best_effort.enqueue(run_rollups)


COLUMNS = (
    "metric_id, person_id, department_id, measured_at, day, value, denominator, note, source, recorded_by_id, "
    "override_reason, created_at, updated_at"
)
# Raw SQL because the conflict targets are partial unique indexes, which Django's bulk_create cannot name.
CONFLICT = {
    True: "(metric_id, person_id, measured_at) WHERE person_id IS NOT NULL",
    False: "(metric_id, department_id, measured_at) WHERE person_id IS NULL",
}
# A corrected reading keeps the department it was recorded in (a person who has moved since corrects a figure of
# their old department), so department_id is not updated; the rollup keys are queued from what was stored.
UPDATE = (
    "DO UPDATE SET value = excluded.value, denominator = excluded.denominator, note = excluded.note, "
    "source = excluded.source, recorded_by_id = excluded.recorded_by_id, "
    "override_reason = excluded.override_reason, day = excluded.day, updated_at = excluded.updated_at"
)


def _within_bounds(row: ReadingRow) -> bool:
    """The numeric bounds of ReadingRules.problems(), for the set-based path that skips the other checks."""
    value, denominator = row.value, row.denominator
    return (
        isinstance(value, int | float)
        and math.isfinite(value)
        and abs(value) <= VALUE_LIMIT
        and (
            denominator is None
            or (
                isinstance(denominator, int | float)
                and math.isfinite(denominator)
                and DENOMINATOR_SMALLEST <= denominator <= VALUE_LIMIT
            )
        )
    )


def _latest_per_key(rows: list[ReadingRow]) -> list[ReadingRow]:
    """One row per (metric, owner, time), the last one given: one statement may not touch a row twice."""
    latest: dict[tuple, ReadingRow] = {}
    for row in rows:
        metric = row.metric
        owner = (OwnerType.PERSON, row.person.id) if metric.per_person else (OwnerType.DEPARTMENT, metric.department_id)
        latest[(metric.id, *owner, row.measured_at)] = row
    return list(latest.values())


def store_rows(rows: list[ReadingRow], *, recorded_by: User | None, source: str, override_reason: str = "") -> int:
    """Upsert already-validated rows and queue the rollup buckets they touch; returns how many were new.

    Later rows win over earlier ones with the same key. PostgreSQL copies the rows into a staging table and
    upserts and queues from there in set statements; SQLite uses multi-row INSERTs.
    """
    rows = _latest_per_key(rows)
    if not rows:
        return 0
    out_of_bounds = next((row for row in rows if not _within_bounds(row)), None)
    if out_of_bounds is not None:  # a caller's bug (demo data, a benchmark): never let it reach the rollups
        raise ValueError(
            f"store_rows() takes checked rows only: {out_of_bounds.value!r} / "
            f"{out_of_bounds.denominator!r} is outside the bounds of a reading"
        )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            return _store_rows_postgresql(rows, recorded_by=recorded_by, source=source, override_reason=override_reason)
        created, stored = _store_rows_portable(
            rows, recorded_by=recorded_by, source=source, override_reason=override_reason
        )
        queue_rollups(rows, stored_departments=stored)
        return created


def _store_rows_portable(rows, *, recorded_by, source, override_reason) -> tuple[int, set]:
    """Returns how many rows were new, and the (metric, day, department) of the readings they updated."""
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    created = 0
    stored = set()
    for per_person in (True, False):
        chosen = [row for row in rows if row.metric.per_person == per_person]
        for offset in range(0, len(chosen), BATCH):
            batch = chosen[offset : offset + BATCH]
            params = []
            for row in batch:
                department_id = row.person.department_id if per_person else row.metric.department_id
                params += [
                    row.metric.pk,
                    row.person.pk if per_person else None,
                    department_id,
                    ops.adapt_datetimefield_value(row.measured_at),
                    ops.adapt_datefield_value(row.day),
                    float(row.value),
                    None if row.denominator is None else float(row.denominator),
                    row.note,
                    source,
                    recorded_by.pk if recorded_by else None,
                    override_reason,
                    now,
                    now,
                ]
            owner = "person_id" if per_person else "department_id"
            keys = [
                [
                    row.metric.pk,
                    row.person.pk if per_person else row.metric.department_id,
                    ops.adapt_datetimefield_value(row.measured_at),
                ]
                for row in batch
            ]
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT metric_id, day, department_id FROM metrics_reading WHERE (metric_id, {owner}, "
                    f"measured_at) IN (VALUES {', '.join(['(%s, %s, %s)'] * len(batch))})"
                    f"{' AND person_id IS NULL' if not per_person else ''}",
                    [v for key in keys for v in key],
                )
                found = cursor.fetchall()
                existing = len(found)
                stored.update(
                    (metric_id, date.fromisoformat(day) if isinstance(day, str) else day, department_id)
                    for metric_id, day, department_id in found
                )
                placeholders = ", ".join(["(" + ", ".join(["%s"] * 13) + ")"] * len(batch))
                cursor.execute(
                    f"INSERT INTO metrics_reading ({COLUMNS}) VALUES {placeholders} "
                    f"ON CONFLICT {CONFLICT[per_person]} {UPDATE}",
                    params,
                )
            created += len(batch) - existing
    return created, stored


def _copy_text(value) -> str:
    """A value in PostgreSQL COPY text format."""
    if value is None:
        return "\\N"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _store_rows_postgresql(rows, *, recorded_by, source, override_reason) -> int:
    buffer = io.StringIO()
    # Only the free texts can hold tabs, newlines or backslashes; ids, times and numbers are written as they are.
    tail = f"{_copy_text(source)}\t{_copy_text(recorded_by.pk if recorded_by else None)}\t{_copy_text(override_reason)}"
    for row in rows:
        metric, person = row.metric, row.person
        owner = f"{person.id}\t{person.department_id}" if metric.per_person else f"\\N\t{metric.department_id}"
        denominator = "\\N" if row.denominator is None else repr(float(row.denominator))
        note = _copy_text(row.note) if row.note else ""
        buffer.write(
            f"{metric.id}\t{owner}\t{row.measured_at.isoformat()}\t{row.day.isoformat()}\t"
            f"{float(row.value)!r}\t{denominator}\t{note}\t{tail}\n"
        )
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS keel_reading_stage (metric_id bigint, person_id bigint, "
            "department_id bigint, measured_at timestamptz, day date, value double precision, "
            "denominator double precision, note text, source varchar(20), recorded_by_id bigint, "
            "override_reason text) ON COMMIT DELETE ROWS"
        )
        cursor.execute("TRUNCATE keel_reading_stage")
        cursor.cursor.copy_expert("COPY keel_reading_stage FROM STDIN", buffer)
        created = 0
        for per_person in (True, False):
            # Upsert, and queue the touched buckets from what was stored (a corrected reading keeps its
            # department): each person's, and each department's with every department above it.
            cursor.execute(
                f"WITH written AS (INSERT INTO metrics_reading ({COLUMNS}) "
                f"SELECT metric_id, person_id, department_id, measured_at, day, value, denominator, note, source, "
                f"recorded_by_id, override_reason, now(), now() FROM keel_reading_stage "
                f"WHERE person_id IS {'NOT ' if per_person else ''}NULL "
                f"ON CONFLICT {CONFLICT[per_person]} {UPDATE} "
                f"RETURNING metric_id, day, person_id, department_id, (xmax = 0) AS inserted), "
                f"queued AS (INSERT INTO metrics_rollupqueue (metric_id, day, owner_type, owner_id, queued_at) "
                f"SELECT DISTINCT metric_id, day, '{OwnerType.PERSON}', person_id, now() FROM written "
                f"WHERE person_id IS NOT NULL "
                f"UNION ALL SELECT DISTINCT w.metric_id, w.day, '{OwnerType.DEPARTMENT}', a.id, now() FROM "
                f"(SELECT DISTINCT metric_id, day, department_id FROM written) w "
                f"JOIN org_department d ON d.id = w.department_id JOIN org_department a ON {subtree_sql('d', 'a')}) "
                f"SELECT COUNT(*) FILTER (WHERE inserted) FROM written"
            )
            created += cursor.fetchone()[0]
        cursor.execute("TRUNCATE keel_reading_stage")
    return created


def queue_rollups(rows: list[ReadingRow], *, stored_departments: set = frozenset()) -> None:
    """Record which buckets the rows touch: the person's, and the department's and every one above it; also
    those of stored_departments, the (metric, day, department) of readings the rows updated."""
    keys = set()
    for row in rows:
        day = row.day
        department = row.person.department if row.metric.per_person else row.metric.department
        if row.metric.per_person:
            keys.add((row.metric.pk, day, OwnerType.PERSON, row.person.pk))
        for department_id in [*department.ancestor_ids, department.pk]:
            keys.add((row.metric.pk, day, OwnerType.DEPARTMENT, department_id))
    departments = Department.objects.in_bulk({department_id for _m, _d, department_id in stored_departments})
    for metric_id, day, department_id in stored_departments:
        department = departments[department_id]
        for above_id in [*department.ancestor_ids, department.pk]:
            keys.add((metric_id, day, OwnerType.DEPARTMENT, above_id))
    RollupQueue.objects.bulk_create(
        [RollupQueue(metric_id=m, day=d, owner_type=t, owner_id=o) for m, d, t, o in keys], batch_size=BATCH
    )


def delete_readings(*, readings) -> int:
    """Delete readings (a queryset; the admin's way to remove wrong ones), queueing the buckets they were in so
    the next rollup drops them; a rollup is enqueued after the commit. Returns how many were deleted."""
    from metrics.services import rollups

    ids = list(readings.values_list("id", flat=True))
    with transaction.atomic():
        for offset in range(0, len(ids), BATCH):
            chunk = ids[offset : offset + BATCH]
            rollups.queue_readings(ids=chunk)
        Reading.objects.filter(id__in=ids).delete()
        nudge_rollup_on_commit()
    return len(ids)


@transaction.atomic
def save_metric(*, form: ModelForm, targets: BaseInlineFormSet) -> Metric:
    """Save a metric and its targets from their validated forms (metrics.forms): both are saved, or neither.

    The targets are attached to the metric the form saved, so a new metric gets its first targets with it.
    """
    metric = form.save()
    targets.instance = metric
    targets.save()
    return metric


def archive_metric(*, metric: Metric) -> None:
    """Archive a metric: it keeps its readings and history but takes no new readings."""
    if metric.archived_at is None:
        metric.archived_at = timezone.now()
        metric.save(update_fields=["archived_at"])


def delete_metric(*, metric: Metric) -> None:
    """Delete a metric that has never had a reading; one with readings must be archived instead."""
    if metric.readings.exists():
        raise RuleViolation(f"“{metric}” has readings, so it cannot be deleted; archive it instead.")
    metric.delete()


def first_day(*, metric: Metric) -> date | None:
    return metric.readings.order_by("day").values_list("day", flat=True).first()
