"""PostgreSQL's way through a CSV import of readings: the rows are copied into a staging table as readings,
checked there by set statements, and written by one INSERT … SELECT.

Python reads the CSV and each row's text as ever (imports.parse_number, parse_moment, the metric and person
lookups), but checks nothing more per row: the readings go to the staging table by COPY, a batch at a time. SQL
then finds readings given twice and flags every row that any rule of metrics.services.readings.ReadingRules could
refuse. Only the flagged rows come back to Python, which words their problems with the very code every other
source goes through (ReadingRules.problems); a flagged row it finds nothing wrong with is kept. A row that cannot
be read is worded by imports._parse_row on the spot. Problems wait in a temporary table, so memory stays bounded
whatever the file: the report keeps the first problems only.

SQLite (the embedded deployment) keeps the row-by-row path of imports._run.
"""

import csv
import io
import math
from collections.abc import Iterator
from datetime import datetime
from itertools import islice
from typing import BinaryIO

from django.db import IntegrityError, connection, transaction

from core import import_reports, periods
from metrics.models import ClosedPeriod, Metric, OwnerType
from metrics.services import imports
from metrics.services.readings import (
    COLUMNS,
    CONFLICT,
    DENOMINATOR_SMALLEST,
    UPDATE,
    VALUE_LIMIT,
    ReadingRow,
    ReadingRules,
    RowError,
)
from org.models import User
from org.paths import subtree_sql

STAGE = "keel_import_stage"  # each row Python could read, as a reading
PROBLEMS = "keel_import_problem"  # every problem found, by line
SUSPECTS = "keel_import_suspect"  # lines some rule may refuse: ReadingRules decides
ALLOWED = "keel_import_allowed"  # (metric, self or not, person's department) the importer may record
BATCH = 5_000  # rows read, copied and worded together
CACHED = 50_000  # metric-and-person pairs, times and numbers read once and remembered, at most

CREATE_TABLES = f"""
DROP TABLE IF EXISTS {STAGE}, {PROBLEMS}, {SUSPECTS}, {ALLOWED};
CREATE TEMP TABLE {STAGE} (line integer, metric_id bigint, per_person boolean, person_id bigint,
    person_department_id bigint, department_id bigint, measured_at timestamptz, day date, value double precision,
    denominator double precision, note text) ON COMMIT DROP;
CREATE TEMP TABLE {PROBLEMS} (line integer, seq integer, field text, message text) ON COMMIT DROP;
CREATE TEMP TABLE {SUSPECTS} (line integer PRIMARY KEY) ON COMMIT DROP;
CREATE TEMP TABLE {ALLOWED} (metric_id bigint, is_self smallint, department_id bigint) ON COMMIT DROP"""

# The first line of each reading given more than once; the later ones are refused, as imports._SeenReadings does.
DUPLICATES = f"""
INSERT INTO {PROBLEMS} (line, seq, field, message)
SELECT s.line, 0, 'measured_at', 'Same reading as line ' || d.first || ': the same metric, person and time appear '
    || 'twice. Keep one of them.'
FROM {STAGE} s
JOIN (SELECT metric_id, COALESCE(person_id, 0) AS owner, measured_at, min(line) AS first FROM {STAGE}
      GROUP BY 1, 2, 3 HAVING count(*) > 1) d
    ON d.metric_id = s.metric_id AND d.owner = COALESCE(s.person_id, 0) AND d.measured_at = s.measured_at
WHERE s.line > d.first"""

SELF = "CASE WHEN o.person_id IS NULL THEN -1 WHEN o.person_id = %(user)s THEN 1 ELSE 0 END"

# Rows any rule of ReadingRules.problems() may refuse (the same conditions, loosely: Python has the last word). The
# rules on who records what for whom are asked once for each (metric, person) of the file, the others of each row.
SUSPECT = f"""
WITH owners AS (
    SELECT DISTINCT metric_id, per_person, person_id, person_department_id FROM {STAGE}
), doubtful AS (
    SELECT o.metric_id, COALESCE(o.person_id, 0) AS owner FROM owners o
    JOIN metrics_metric m ON m.id = o.metric_id
    JOIN org_department md ON md.id = m.department_id
    LEFT JOIN org_user u ON u.id = o.person_id
    LEFT JOIN org_department pd ON pd.id = o.person_department_id
    LEFT JOIN {ALLOWED} a ON a.metric_id = o.metric_id AND a.is_self = {SELF}
        AND a.department_id = COALESCE(o.person_department_id, 0)
    WHERE m.archived_at IS NOT NULL
        OR o.per_person <> (o.person_id IS NOT NULL)
        OR (u.id IS NOT NULL AND (NOT u.is_active OR pd.id IS NULL OR NOT {subtree_sql("pd", "md")}))
        OR a.metric_id IS NULL
)
INSERT INTO {SUSPECTS} (line)
SELECT s.line FROM {STAGE} s
JOIN metrics_metric m ON m.id = s.metric_id
WHERE NOT EXISTS (SELECT 1 FROM {PROBLEMS} p WHERE p.line = s.line) AND (
    (s.metric_id, COALESCE(s.person_id, 0)) IN (SELECT metric_id, owner FROM doubtful)
    OR abs(s.value) > %(limit)s OR s.value < m.min_value OR s.value > m.max_value
    OR (m.aggregation = '{Metric.Aggregation.RATIO}' AND (s.denominator IS NULL OR s.denominator < %(smallest)s
        OR s.denominator > %(limit)s))
    OR (m.aggregation <> '{Metric.Aggregation.RATIO}' AND s.denominator IS NOT NULL)
    OR s.measured_at > %(now)s
    {{closed}}
)"""

IN_CLOSED_PERIOD = f"""
    OR EXISTS (SELECT 1 FROM metrics_closedperiod cp JOIN org_department cd ON cd.id = cp.department_id
               JOIN org_department od ON od.id = s.department_id
               WHERE {subtree_sql("od", "cd")}
                   AND s.day BETWEEN cp.start AND cp."end")"""

# The readings of the rows without problems, written as readings.store_rows writes them: upserted, and the rollup
# buckets they touch queued from what was stored.
WRITE = f"""
WITH written AS (
    INSERT INTO metrics_reading ({COLUMNS})
    SELECT metric_id, person_id, department_id, measured_at, day, value,
           denominator, note, %(source)s, %(user)s, '', now(), now()
    FROM {STAGE} s
    WHERE person_id IS {{not_}}NULL {{without_problems}}
    {{on_conflict}}
    RETURNING metric_id, day, person_id, department_id, (xmax = 0) AS inserted
), queued AS (
    INSERT INTO metrics_rollupqueue (metric_id, day, owner_type, owner_id, queued_at)
    SELECT DISTINCT metric_id, day, '{OwnerType.PERSON}', person_id, now() FROM written WHERE person_id IS NOT NULL
    UNION ALL
    SELECT DISTINCT w.metric_id, w.day, '{OwnerType.DEPARTMENT}', a.id, now()
    FROM (SELECT DISTINCT metric_id, day, department_id FROM written) w
    JOIN org_department d ON d.id = w.department_id JOIN org_department a ON {subtree_sql("d", "a")}
)
SELECT COUNT(*) FILTER (WHERE inserted), COUNT(*) FROM written"""

# When no stored reading can conflict (_write's `fresh`), every staged row of the kind is inserted: a plain
# INSERT … SELECT with no RETURNING to hold, the same rollup keys taken from the staging table itself; its row
# count is the readings written.
WRITE_FRESH = f"""
WITH queued AS (
    INSERT INTO metrics_rollupqueue (metric_id, day, owner_type, owner_id, queued_at)
    SELECT DISTINCT metric_id, day, '{OwnerType.PERSON}', person_id, now() FROM {STAGE} s
    WHERE person_id IS NOT NULL AND {{per_person}} {{without_problems}}
    UNION ALL
    SELECT DISTINCT w.metric_id, w.day, '{OwnerType.DEPARTMENT}', a.id, now()
    FROM (SELECT DISTINCT metric_id, day, department_id FROM {STAGE} s
          WHERE person_id IS {{not_}}NULL {{without_problems}}) w
    JOIN org_department d ON d.id = w.department_id JOIN org_department a ON {subtree_sql("d", "a")}
)
INSERT INTO metrics_reading ({COLUMNS})
SELECT metric_id, person_id, department_id, measured_at, day, value,
       denominator, note, %(source)s, %(user)s, '', now(), now()
FROM {STAGE} s
WHERE person_id IS {{not_}}NULL {{without_problems}}"""


def run(
    *,
    file: BinaryIO,
    recorded_by: User,
    write: bool,
    valid_only: bool,
    source: str,
    decimal: str | None,
) -> "imports.ImportReport":
    """Check (and with write=True, record) the readings of a CSV file; to be called inside a transaction.

    Writes only when every row is fine or valid_only is True. Raises ImportFileError for a file that cannot be
    read as a whole, as imports.parse_readings does.
    """
    if decimal not in (None, *imports.DECIMALS):
        raise ValueError(f"decimal must be {imports.POINT!r}, {imports.COMMA!r} or None, not {decimal!r}")
    shape = imports.FileShape()
    report = imports.ImportReport()
    zone = periods.organization_zone()
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    try:
        records = imports._records(text, stream=file, shape=shape)
        columns = imports._columns(records)
        shape.decimal, shape.detected = (decimal, False) if decimal else (imports.detect_decimal(shape.delimiter), True)
        with connection.cursor() as cursor:
            cursor.execute(CREATE_TABLES)
            first: list[tuple[int, list[str]]] = []
            summary = _Summary(recorded_by)
            report.rows = _stage(cursor, records, columns=columns, shape=shape, zone=zone, first=first, summary=summary)
            rules = ReadingRules(recorded_by=recorded_by)
            cursor.execute(DUPLICATES)  # no ANALYZE: it cost more than any plan it changed (every join is small)
            _find_suspects(cursor, rules=rules, zone=zone, summary=summary)
            _word_suspects(cursor, rules=rules)
            _fill_report(cursor, report=report, first=first, columns=columns, shape=shape, zone=zone)
            if write and (valid_only or report.ok):
                fresh = _only_new_days(cursor, summary)
                for per_person in (True, False):
                    created, written = _write(
                        cursor,
                        per_person=per_person,
                        source=source,
                        recorded_by=recorded_by,
                        zone=zone,
                        problems=not report.ok,
                        fresh=fresh,
                    )
                    report.created += created
                    report.updated += written - created
    finally:
        text.detach()
    report.decimal, report.decimal_detected, report.delimiter = shape.decimal, shape.detected, shape.delimiter
    return report


def _only_new_days(cursor, summary: "_Summary") -> bool:
    """True when no reading is stored yet on any (metric, day) of the file: then none of its readings can replace
    one, and they are inserted without ON CONFLICT's look-up per row. One query, through (metric, day)'s index."""
    if not summary.days:
        return True
    metric_ids, days = zip(*summary.days, strict=True)
    cursor.execute(
        """SELECT NOT EXISTS (SELECT 1 FROM unnest(%s::bigint[], %s::date[]) k(metric_id, day)
            WHERE EXISTS (SELECT 1 FROM metrics_reading r WHERE r.metric_id = k.metric_id AND r.day = k.day))""",
        [list(metric_ids), list(days)],
    )
    return cursor.fetchone()[0]


def _write(
    cursor, *, per_person: bool, source: str, recorded_by: User, zone, problems: bool, fresh: bool
) -> tuple[int, int]:
    """Write the valid readings of one kind of owner (problems: whether some rows have any, to be left out) and
    queue their rollup buckets: (new, written). fresh: no stored reading can conflict (_only_new_days), so a plain
    INSERT; should one conflict after all (a day stored under another time zone), the upsert does it over."""
    without_problems = f"AND NOT EXISTS (SELECT 1 FROM {PROBLEMS} p WHERE p.line = s.line)" if problems else ""
    params = {"source": source, "user": recorded_by.pk, "zone": zone.key}
    upsert = f"ON CONFLICT {CONFLICT[per_person]} {UPDATE}"
    not_ = "NOT " if per_person else ""
    if fresh:
        try:
            with transaction.atomic():
                cursor.execute(
                    WRITE_FRESH.format(
                        not_=not_, per_person="true" if per_person else "false", without_problems=without_problems
                    ),
                    params,
                )
                inserted = cursor.rowcount
                return inserted, inserted
        except IntegrityError:
            pass
    cursor.execute(WRITE.format(not_=not_, on_conflict=upsert, without_problems=without_problems), params)
    return cursor.fetchone()


def _stage(cursor, records, *, columns: dict[str, int], shape, zone, first: list, summary: "_Summary") -> int:
    """Read the records a BATCH at a time and COPY them into STAGE as readings; a row that cannot be read gets
    its problems (imports._parse_row's) in PROBLEMS. Keeps the first PREVIEW_ROWS records in `first`; returns
    how many there were. Raises ImportFileError past MAX_ROWS, or when there are none.

    Most rows repeat what earlier ones wrote (the same metric and person, the same time, the same number): each
    of those is read once, and kept as the text COPY takes, so that a row costs a few dictionary look-ups. A row
    whose metric and person are known already is staged as soon as it is read; the others wait for the end of
    their batch, when the lookup loads the names they give, as imports.parse_readings does (so that only they are
    held, and few objects outlive a row)."""
    width = len(columns)
    position = {name: columns.get(name) for name in imports.COLUMNS}
    metric_at, person_at, moment_at, value_at = (position[n] for n in ("metric", "person", "measured_at", "value"))
    denominator_at, note_at = position["denominator"], position["note"]
    mark = imports.DECIMALS[shape.decimal]
    group = "," if mark == "." else "."
    lookup = imports._Lookup()
    metrics, people = lookup.metrics, lookup.people
    # Each keyed by the field(s) as written; emptied when full, so memory stays bounded whatever the file.
    owners: dict[tuple[str, str], tuple[int, str]] = {}  # (metric, person) -> metric id, STAGE's owner columns
    ambiguous = _ambiguous_names() if person_at is not None else set()
    moments: dict[str, tuple[str, str]] = {}  # a time -> STAGE's moment columns, local day in ISO 8601
    numbers: dict[str, str] = {}  # a number -> as STAGE takes it
    days = summary.days
    count = 0

    def number(text: str) -> str | None:
        """imports.parse_number's reading of a number written without grouping, as STAGE takes it (what
        csv.writer writes of the float: its repr); None for anything else."""
        staged = numbers.get(text)
        if staged is not None:
            return staged
        written = text.strip()
        if not written or group in written or "_" in written:
            return None
        if mark == ",":
            if written.count(",") > 1:
                return None
            written = written.replace(",", ".")
        try:
            value = float(written)
        except ValueError:
            return None
        if not math.isfinite(value):
            return None
        if len(numbers) >= CACHED:
            numbers.clear()
        staged = numbers[text] = repr(value)
        return staged

    def owner(key: tuple[str, str]) -> tuple[int, str] | None:
        """The metric id and STAGE's owner columns of a (metric, person) as written; None if either is unknown."""
        found = owners.get(key)
        if found is not None:
            return found
        metric = metrics.get(key[0].strip())
        if metric is None:
            return None
        person = None
        if name := key[1].strip():
            person = people.get(name.lower())
            if person is None:
                return None
        found = (metric.id, _owner_columns(metric, person, summary))
        if name.lower() not in ambiguous:  # whom the name means cannot change: remember it
            if len(owners) >= CACHED:
                owners.clear()
            owners[key] = found
        return found

    def reading(line: int, fields: list[str]) -> str | None:
        """What imports._parse_row reads from a row without problems, as a line of STAGE's COPY; None if it has
        any."""
        if len(fields) != width:
            if len(fields) > width:
                return None
            fields = fields + [""] * (width - len(fields))
        resolved = owner((fields[metric_at], fields[person_at] if person_at is not None else ""))
        if resolved is None:
            return None
        value = number(fields[value_at])
        if value is None:
            return None
        denominator = ""
        if denominator_at is not None and fields[denominator_at].strip():
            denominator = number(fields[denominator_at])
            if denominator is None:
                return None
        note = ""
        if note_at is not None and (note := fields[note_at].strip()):
            if len(note) > imports.MAX_NOTE or "\x00" in note:
                return None
            note = _quoted(note)
        written = fields[moment_at]
        moment = moments.get(written)
        if moment is None:  # many rows share a time (a day's readings of everyone): each is read once
            if not (text := written.strip()):
                return None
            try:
                parsed = imports.parse_moment(text, zone=zone)
            except ValueError:
                return None
            summary.add_moment(parsed)
            if len(moments) >= CACHED:
                moments.clear()
            moment = moments[written] = _moment(parsed)
        metric_id, owner_columns = resolved
        days.add((metric_id, moment[1]))
        return f"{line},{owner_columns},{moment[0]},{value},{denominator},{note}\n"

    def known(fields: list[str]) -> bool:
        """Whether a row's metric and person were read on an earlier row (so no lookup can change them)."""
        if len(fields) != width:
            return False
        return (fields[metric_at], fields[person_at] if person_at is not None else "") in owners

    while True:
        readings: list[str] = []
        waiting: list[tuple[int, list[str]]] = []  # rows to read once the lookup has loaded the names they give
        read = 0
        for record in islice(records, BATCH):
            read += 1
            if len(first) < import_reports.PREVIEW_ROWS:
                first.append(record)
            if known(record[1]) and (staged := reading(*record)) is not None:
                readings.append(staged)
            else:
                waiting.append(record)
        if not read:
            break
        count += read
        if count > imports.MAX_ROWS:
            raise imports.ImportFileError(
                f"The file has more than {imports.MAX_ROWS:,} readings. Split it into files of at "
                f"most {imports.MAX_ROWS:,} rows and import them one after the other."
            )
        if waiting:
            lookup.load(columns=columns, records=waiting)
        problems = io.StringIO()
        problem_writer = csv.writer(problems)
        for line, fields in waiting:
            staged = reading(line, fields)
            if staged is not None:
                readings.append(staged)
                continue
            parsed = imports._parse_row(
                line,
                fields,
                columns=columns,
                lookup=lookup,
                zone=zone,
                decimal=shape.decimal,
                delimiter=shape.delimiter,
            )
            for seq, problem in enumerate(parsed.problems):
                problem_writer.writerow((line, seq, problem.field, _text(problem.message)))
            if parsed.reading is not None:  # what reading() leaves to it, such as thousands grouped ("1,234.5")
                r = parsed.reading
                summary.add_moment(r.measured_at)
                moment = _moment(r.measured_at)
                days.add((r.metric.id, moment[1]))
                denominator = repr(r.denominator) if r.denominator is not None else ""
                note = _quoted(r.note) if r.note else ""
                owner_columns = _owner_columns(r.metric, r.person, summary)
                readings.append(f"{line},{owner_columns},{moment[0]},{r.value!r},{denominator},{note}\n")
        _copy(cursor, STAGE, "".join(readings), options="FORCE_NOT_NULL (note)")
        _copy(cursor, f"{PROBLEMS} (line, seq, field, message)", problems.getvalue())
        if read < BATCH:
            break
    if not count:
        raise imports.ImportFileError("The file has a header but no readings below it.")
    return count


class _Summary:
    """What the checks need to know of the staged rows as a whole, gathered while they are read: the kinds of row
    whose permission to ask ((metric, self or not, person's department) -> an example (metric, person)), and the
    first and last moment."""

    def __init__(self, user: User):
        self.user_id = user.pk
        self.kinds: dict[tuple, tuple] = {}
        self.first: datetime | None = None
        self.last: datetime | None = None
        self.days: set[tuple[int, str]] = set()  # (metric, local day in ISO 8601) of every reading

    def add_moment(self, moment: datetime) -> None:
        if self.first is None or moment < self.first:
            self.first = moment
        if self.last is None or moment > self.last:
            self.last = moment


def _ambiguous_names() -> set[str]:
    """Names (lower-cased) that are one person's username and someone else's e-mail address. Whom a row giving one
    means depends on whom imports._Lookup has loaded so far (a username wins once its owner is loaded), so such
    rows are read as every other source reads them: after the load of their batch, never from memory."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT lower(u.username) FROM org_user u JOIN org_user v ON lower(v.email) = lower(u.username) "
            "WHERE v.id <> u.id"
        )
        return {name for (name,) in cursor.fetchall()}


def _moment(moment: datetime) -> tuple[str, str]:
    """A moment as STAGE's two columns take it (in ISO 8601 with its offset, then its day in the organization's
    zone), and that day alone."""
    day = periods.local_day(moment).isoformat()
    return f"{moment.isoformat()},{day}", day


def _owner_columns(metric: Metric, person: User | None, summary: _Summary) -> str:
    """STAGE's columns of a reading's metric and person (metric_id to department_id), as COPY takes them; the kind
    of row noted in summary."""
    if person is None:
        summary.kinds.setdefault((metric.id, -1, 0), (metric.id, None))
        person_id = person_department = None
    else:
        is_self = 1 if person.id == summary.user_id else 0
        person_id, person_department = person.id, person.department_id
        summary.kinds.setdefault((metric.id, is_self, person_department or 0), (metric.id, person.id))
    department = person_department if metric.per_person else metric.department_id
    columns = (metric.id, "t" if metric.per_person else "f", person_id, person_department, department)
    return ",".join("" if column is None else str(column) for column in columns)


def _quoted(text: str) -> str:
    """A text field as COPY's CSV format takes it whatever it holds (delimiters, quotes, line breaks, a lone
    backslash-period): quoted, its quotes doubled."""
    return '"' + text.replace('"', '""') + '"'


def _copy(cursor, table: str, text: str, *, options: str = "") -> None:
    """COPY CSV text (lines as STAGE's or PROBLEMS' columns) into a table; nothing for no text."""
    if text:
        extra = f", {options}" if options else ""
        cursor.cursor.copy_expert(f"COPY {table} FROM STDIN WITH (FORMAT csv{extra})", io.StringIO(text))


def _batches(cursor, query: str, *, line: str) -> Iterator[list[tuple]]:
    """The rows of `query` (whose first column is the line, named `line` in its WHERE clause, which takes one more
    condition) a BATCH at a time, by line."""
    after = 0
    while True:
        cursor.execute(f"{query} AND {line} > %(after)s ORDER BY {line} LIMIT {BATCH}", {"after": after})
        rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def _text(message: str) -> str:
    """A message PostgreSQL's text can hold: a NUL the file had (and a message quotes) shows as the replacement
    character, as the job's JSON report shows it anyway."""
    return message.replace("\x00", "\ufffd")


def _find_suspects(cursor, *, rules: ReadingRules, zone, summary: _Summary) -> None:
    """Flag in SUSPECTS the rows some rule may refuse. Who may record what is asked of ReadingRules.may_record (so
    of org.access) once for each kind of row, the rest is compared in SQL."""
    user = rules.user
    kinds = list(summary.kinds.values())
    metrics = Metric.objects.select_related("department").in_bulk({metric_id for metric_id, _ in kinds})
    people = User.objects.select_related("department").in_bulk({person_id for _, person_id in kinds if person_id})
    allowed = []
    for metric_id, person_id in kinds:
        person = people.get(person_id) if person_id else None
        if rules.may_record(metrics[metric_id], person):
            is_self = -1 if person is None else int(person.pk == user.pk)
            allowed.append((metric_id, is_self, (person.department_id or 0) if person else 0))
    if allowed:
        values = ", ".join(["(%s, %s, %s)"] * len(allowed))
        cursor.execute(f"INSERT INTO {ALLOWED} VALUES {values}", [v for row in allowed for v in row])
    closed = (
        summary.first is not None
        and ClosedPeriod.objects.filter(
            end__gte=periods.local_day(summary.first), start__lte=periods.local_day(summary.last)
        ).exists()
    )
    cursor.execute(
        SUSPECT.format(closed=IN_CLOSED_PERIOD if closed else ""),
        {"user": user.pk, "limit": VALUE_LIMIT, "smallest": DENOMINATOR_SMALLEST, "now": rules.now, "zone": zone.key},
    )


def _word_suspects(cursor, *, rules: ReadingRules) -> None:
    """Ask ReadingRules.problems() about each suspect row, a batch at a time; its problems go to PROBLEMS (a row
    it finds nothing wrong with stays valid)."""
    query = f"""SELECT s.line, s.metric_id, s.person_id, s.measured_at, s.value, s.denominator, s.note
        FROM {STAGE} s JOIN {SUSPECTS} x ON x.line = s.line WHERE true"""
    metrics: dict[int, Metric] = {}
    people: dict[int, User] = {}
    for rows in _batches(cursor, query, line="s.line"):
        wanted = {metric_id for _, metric_id, *_ in rows} - metrics.keys()
        metrics.update(Metric.objects.select_related("department").in_bulk(wanted))
        wanted = {person_id for _, _, person_id, *_ in rows if person_id} - people.keys()
        people.update(User.objects.select_related("department").in_bulk(wanted))
        readings = [
            ReadingRow(
                metric=metrics[metric_id],
                person=people[person_id] if person_id else None,
                measured_at=measured_at,
                value=value,
                denominator=denominator,
                note=note,
                line=line,
            )
            for line, metric_id, person_id, measured_at, value, denominator, note in rows
        ]
        rules.load_closed_periods(readings)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for reading in readings:
            for seq, problem in enumerate(rules.problems(reading)):
                writer.writerow((reading.line, seq, problem.field, _text(problem.message)))
        buffer.seek(0)
        cursor.cursor.copy_expert(f"COPY {PROBLEMS} (line, seq, field, message) FROM STDIN WITH (FORMAT csv)", buffer)


def _fill_report(cursor, *, report, first: list, columns: dict[str, int], shape, zone) -> None:
    """Counts, the first SHOWN_PROBLEMS problems by line, and the first rows with theirs."""
    cursor.execute(f"SELECT count(*), count(DISTINCT line) FROM {PROBLEMS}")
    report.problem_count, report.rejected_rows = cursor.fetchone()
    cursor.execute(
        f"SELECT line, field, message FROM {PROBLEMS} ORDER BY line, seq LIMIT {import_reports.SHOWN_PROBLEMS}"
    )
    report.problems = [RowError(line, field, message) for line, field, message in cursor.fetchall()]
    lookup = imports._Lookup()
    lookup.load(columns=columns, records=first)
    preview = [
        imports._parse_row(
            line, fields, columns=columns, lookup=lookup, zone=zone, decimal=shape.decimal, delimiter=shape.delimiter
        )
        for line, fields in first
    ]
    cursor.execute(
        f"SELECT line, field, message FROM {PROBLEMS} WHERE line = ANY(%s) ORDER BY line, seq",
        [[row.line for row in preview]],
    )
    by_line: dict[int, list[RowError]] = {}
    for line, field, message in cursor.fetchall():
        by_line.setdefault(line, []).append(RowError(line, field, message))
    for row in preview:
        row.problems = by_line.get(row.line, [])
    report.preview = preview
