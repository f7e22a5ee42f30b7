"""Demo data of goals: quality definitions with published versions and acknowledgements, and a goal cycle."""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from core import demo, periods
from goals import smart
from goals.models import Acknowledgement, CheckIn, Goal, GoalCycle, QualityDefinition
from goals.selectors import progress
from goals.services import definitions
from goals.services import goals as goal_services
from goals.services.definitions import CriterionRow
from goals.services.goals import GoalData, KeyResultData
from metrics import status as status_rules
from metrics.models import Metric, Rollup
from org.models import Department, User

# --- quality definitions -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoVersion:
    days_ago: int
    major: bool
    summary: str
    promise: str
    criteria: list[tuple[str, str | None, float | None]]  # text, metric code, threshold


@dataclass(frozen=True)
class DemoDefinition:
    division: str
    title: str
    external_customers: str
    served: tuple[str, ...]
    ask_served: bool
    versions: list[DemoVersion]


DEMO_DEFINITIONS = [
    DemoDefinition(
        "customer-service",
        "Support tickets",
        "customers who contact us by phone, e-mail or chat",
        (),
        False,
        [
            DemoVersion(
                160,
                True,
                "",
                "Every customer who contacts us gets a first reply within one working day and "
                "an answer that solves their problem.",
                [
                    ("First reply within 8 business hours", "first-reply-time", 8),
                    ("Most problems solved in the first contact", "first-contact-resolution", 70),
                ],
            ),
            DemoVersion(
                12,
                True,
                "First reply within 4 instead of 8 business hours; customer satisfaction added.",
                "Every customer who contacts us gets a helpful first reply within four business hours, and most "
                "problems are solved in that first contact.",
                [
                    ("First reply within 4 business hours, 95% of tickets", "first-reply-time", 4),
                    ("Problems solved in the first contact", "first-contact-resolution", 78),
                    ("Customers satisfied with the answer", "csat", 85),
                ],
            ),
        ],
    ),
    DemoDefinition(
        "it",
        "Service desk",
        "",
        ("customer-service", "operations"),
        True,
        [
            DemoVersion(
                120,
                True,
                "",
                "When something you need for work breaks, the service desk gets you working again the same day.",
                [
                    ("Tickets resolved within the agreed time", "ticket-resolution-sla", 90),
                    ("Outages acknowledged within 15 minutes", None, None),
                ],
            ),
            DemoVersion(
                30,
                False,
                "Clearer wording; the criteria are unchanged.",
                "When a tool or device you need for work breaks, the service desk gets you working again the "
                "same day, and tells you what happens next.",
                [
                    ("Tickets resolved within the agreed time", "ticket-resolution-sla", 90),
                    ("Outages acknowledged within 15 minutes", None, None),
                ],
            ),
        ],
    ),
    DemoDefinition(
        "operations",
        "Order delivery",
        "online shoppers and business customers",
        (),
        False,
        [
            DemoVersion(
                200,
                True,
                "",
                "Orders arrive complete, undamaged and on the day we promised.",
                [
                    ("Delivered on the promised day", "on-time-delivery", 92),
                    ("Fewer than 3 defective units per 1,000 shipped", "defects-per-1000", 3),
                ],
            ),
            DemoVersion(
                9,
                True,
                "Tighter punctuality and defect targets; late deliveries are announced.",
                "Orders arrive complete, undamaged and on the day we promised; if a delivery will be late, the "
                "customer hears it from us first.",
                [
                    ("Delivered on the promised day, 95% of orders", "on-time-delivery", 95),
                    ("Fewer than 2 defective units per 1,000 shipped", "defects-per-1000", 2),
                    ("Customers told within an hour when a delivery will be late", None, None),
                ],
            ),
        ],
    ),
    DemoDefinition(
        "finance",
        "Invoicing",
        "business customers",
        (),
        False,
        [
            DemoVersion(
                90,
                True,
                "",
                "Every invoice is correct, clear and on time.",
                [
                    ("Invoices needing no correction", "invoice-accuracy", 99),
                ],
            ),
            DemoVersion(
                20,
                False,
                "Says what “correct” means for the customer.",
                "Every invoice is correct the first time, easy to read and sent on time.",
                [
                    ("Invoices needing no correction", "invoice-accuracy", 99),
                ],
            ),
        ],
    ),
]
DEMO_EMPLOYEE = "employee"  # keeps something to acknowledge, so the demo's Today shows the section


def _acknowledge_some(definition: QualityDefinition, *, rng: random.Random, now) -> None:
    """Most people acknowledged earlier major versions; about half the current one; the demo employee not yet."""
    current = definitions.current_version(definition).major
    rows = list(
        Acknowledgement.objects.filter(definition=definition, acknowledged_at__isnull=True)
        .select_related("person")
        .order_by("major", "person__username")
    )
    for row in rows:
        is_current = row.major == current
        if is_current and row.person.username == DEMO_EMPLOYEE:
            continue
        if rng.random() < (0.55 if is_current else 0.9):
            hours = (now - row.requested_at).total_seconds() / 3600
            row.acknowledged_at = row.requested_at + timedelta(hours=rng.uniform(0.5, min(hours - 0.5, 24 * 9)))
    Acknowledgement.objects.bulk_update([r for r in rows if r.acknowledged_at], ["acknowledged_at"], batch_size=1000)


def _criteria(version: DemoVersion, metrics: dict[str, Metric]) -> list[CriterionRow]:
    """The version's criteria, linked to the demo metrics that exist (a threshold only with its metric)."""
    return [
        CriterionRow(text=text, metric=metrics.get(code), threshold=threshold if code in metrics else None)
        for text, code, threshold in version.criteria
    ]


@transaction.atomic
def seed_definitions(*, rng: random.Random, size: str, stdout=None) -> str:
    """Four definitions, each with two published versions (major or minor) and partial acknowledgement."""
    codes = {spec.division for spec in DEMO_DEFINITIONS} | {c for spec in DEMO_DEFINITIONS for c in spec.served}
    departments = {d.code: d for d in Department.objects.filter(code__in=codes)}
    metrics = {
        m.code: m
        for m in Metric.objects.filter(
            code__in={code for spec in DEMO_DEFINITIONS for v in spec.versions for _t, code, _x in v.criteria if code}
        )
    }
    admin = User.objects.filter(is_staff=True, is_active=True).order_by("username").first()
    now = timezone.now()
    created = 0
    for spec in DEMO_DEFINITIONS:
        division = departments.get(spec.division)
        if division is None or QualityDefinition.objects.filter(department=division, title__iexact=spec.title).exists():
            continue
        author = division.managers.order_by("username").first() or admin
        if author is None:
            continue

        first = spec.versions[0]
        definition = definitions.create_definition(
            by=author,
            department=division,
            title=spec.title,
            external_customers=spec.external_customers,
            served_departments=[departments[c] for c in spec.served if c in departments],
            ask_served_departments=spec.ask_served,
            promise=first.promise,
            criteria=_criteria(first, metrics),
        )
        for n, version in enumerate(spec.versions):
            if n:
                definitions.save_draft(
                    definition=definition,
                    by=author,
                    promise=version.promise,
                    criteria=_criteria(version, metrics),
                    keep_if_unchanged=True,
                )
            definitions.publish(
                definition=definition,
                major=version.major,
                change_summary=version.summary,
                by=author,
                at=now - timedelta(days=version.days_ago, hours=rng.randint(0, 8)),
            )
        _acknowledge_some(definition, rng=rng, now=now)
        created += 1
    asked = Acknowledgement.objects.count()
    pending = Acknowledgement.objects.filter(acknowledged_at__isnull=True).count()
    return (
        f"definitions: {QualityDefinition.objects.count()} definitions ({created} new), {asked} acknowledgements "
        f"asked, {pending} not given"
    )


# --- goals -------------------------------------------------------------------------------------------------------

# The demo cycle: organization goals, division goals aligned to them, team goals aligned to those.
# key -> (level: department code or None, title, description, measure, parents [(key, weight)], due (month, day),
#         owner: "head" (the department's manager), "admin" or a username)
# measure: ("metric", code, direction, aim: the share of the way the figures have come so far, so progress varies)
#          or ("milestones", [titles], how many are done)
PLAN = {
    "customers": (
        None,
        "Customers rate us higher",
        "Customers feel the difference in every contact: satisfaction rises across the organization.",
        ("metric", "csat", "increase", 0.95),
        [],
        (12, 31),
        "admin",
    ),
    "promises": (
        None,
        "Deliver on every promise",
        "What we promise on delivery dates and service levels is what customers get, first time.",
        ("metric", "on-time-delivery", "increase", 0.7),
        [],
        (12, 31),
        "admin",
    ),
    "built-in": (
        None,
        "Build quality in, not inspect it in",
        "Defects are prevented at the source instead of caught at the end, in every division.",
        (
            "milestones",
            [
                "Map the ten most costly failure modes",
                "Root-cause review for every escaped defect",
                "Quality gates in every release and shipping process",
                "Quality agreements signed with key suppliers",
            ],
            3,
        ),
        [],
        (12, 31),
        "admin",
    ),
    "culture": (
        None,
        "Make quality everybody's job",
        "Every team knows its customers' definition of quality and checks itself against it.",
        (
            "milestones",
            [
                "Every team has a published quality definition",
                "Refresher training held twice this year",
                "A quality champion in every division",
            ],
            2,
        ),
        [],
        (12, 31),
        "admin",
    ),
    "cs-fcr": (
        "customer-service",
        "Resolve more on the first contact",
        "Customers get their answer without calling back: first-contact resolution rises in every team.",
        ("metric", "first-contact-resolution", "increase", 0.8),
        [("customers", 2), ("promises", 1)],
        (12, 31),
        "head",
    ),
    "ops-on-time": (
        "operations",
        "Ship on time, every time",
        "Orders leave the warehouse when we said they would, including the peak season.",
        ("metric", "on-time-delivery", "increase", 1.0),
        [("promises", 1)],
        (12, 31),
        "head",
    ),
    "ops-defects": (
        "operations",
        "Cut shipping defects",
        "Fewer damaged or wrong items reach customers, so fewer returns and complaints.",
        ("metric", "defects-per-1000", "decrease", 0.75),
        [("promises", 1), ("built-in", 1)],
        (9, 30),
        "head",
    ),
    "eng-escaped": (
        "engineering",
        "Fewer defects reach customers",
        "Releases break less for customers: escaped defects fall week on week.",
        ("metric", "escaped-defects", "decrease", 0.9),
        [("built-in", 2)],
        (12, 31),
        "head",
    ),
    "it-sla": (
        "it",
        "Fix internal tickets within the SLA",
        "Colleagues get their tools back quickly, so they can serve customers without waiting.",
        ("metric", "ticket-resolution-sla", "increase", 0.7),
        [("customers", 1)],
        (12, 31),
        "head",
    ),
    "hr-hire": (
        "hr",
        "Hire faster without lowering the bar",
        "Teams are fully staffed sooner, and new colleagues pass probation as often as before.",
        ("metric", "time-to-hire", "decrease", 0.5),
        [("culture", 1)],
        (12, 31),
        "head",
    ),
    "fin-invoices": (
        "finance",
        "Invoices right the first time",
        "Customers receive correct invoices, so billing disputes and credit notes become rare.",
        ("metric", "invoice-accuracy", "increase", 0.85),
        [("customers", 1)],
        (12, 31),
        "head",
    ),
    "fac-safety": (
        "facilities",
        "A safer workplace everywhere",
        "Every site passes its safety inspection and near misses are reported and acted on.",
        ("milestones", ["Safety walk at every site", "Near-miss reporting live", "All sites inspected"], 2),
        [("culture", 1)],
        (10, 31),
        "head",
    ),
    "sales-promise": (
        "sales-marketing",
        "Promise only what we can keep",
        "Delivery dates offered to customers match what operations can really do.",
        ("metric", "promise-kept-rate", "increase", 0.6),
        [("promises", 1)],
        (12, 31),
        "head",
    ),
    "fl-reply": (
        "customer-service-front-line",
        "Answer every customer within four hours",
        "No customer waits more than half a day for a first reply, on any channel.",
        ("metric", "first-reply-time", "decrease", 0.9),
        [("cs-fcr", 1)],
        (12, 31),
        "head",
    ),
    "fl-faq": (
        "customer-service-front-line",
        "Publish answers to the top twenty questions",
        "Customers and advisors find the same clear answers to the questions asked most often.",
        (
            "milestones",
            [
                "Collect the top twenty questions",
                "Write and review the answers",
                "Publish them on the help centre",
                "Train the team on them",
            ],
            2,
        ),
        [("cs-fcr", 1), ("culture", 1)],
        (12, 31),
        "employee",
    ),
    "esc-playbook": (
        "customer-service-escalations",
        "An escalation playbook everyone uses",
        "Escalated cases follow one path with clear owners, so none is lost between teams.",
        ("milestones", ["Draft the playbook", "Pilot it for a month", "Roll it out to every shift"], 3),
        [("cs-fcr", 1)],
        (8, 31),
        "head",
    ),
    "qa-calibration": (
        "customer-service-quality-assurance",
        "Calibrate quality reviews every month",
        "Reviewers score the same contact the same way, so feedback to advisors is fair.",
        (
            "milestones",
            [
                "Agree the scoring guide",
                "Monthly calibration sessions running",
                "Scores within 5 points between reviewers",
            ],
            2,
        ),
        [("cs-fcr", 1), ("culture", 2)],
        (12, 31),
        "head",
    ),
    "ful-defects": (
        "operations-fulfilment",
        "Pick and pack without errors",
        "The right items, undamaged, in every parcel that leaves fulfilment.",
        ("metric", "defects-per-1000", "decrease", 1.0),
        [("ops-defects", 1)],
        (9, 30),
        "head",
    ),
    "ret-fast": (
        "operations-returns",
        "Process returns within two days",
        "Customers get their refund or replacement quickly, and we learn why items come back.",
        (
            "milestones",
            ["Returns triage at the dock", "Reason codes on every return", "Weekly review of the top return reasons"],
            2,
        ),
        [("ops-on-time", 1)],
        (12, 31),
        "head",
    ),
    "test-journeys": (
        "engineering-testing",
        "Automated tests for every critical journey",
        "Every journey customers depend on is tested automatically before each release.",
        (
            "milestones",
            [
                "List the critical journeys",
                "Tests for checkout and sign-in",
                "Tests for every remaining journey",
                "Tests run on every release",
            ],
            3,
        ),
        [("eng-escaped", 1)],
        (12, 31),
        "head",
    ),
    "desk-sla": (
        "it-service-desk",
        "Service desk tickets within the SLA",
        "The service desk resolves colleagues' tickets in time, first time.",
        ("metric", "ticket-resolution-sla", "increase", 0.8),
        [("it-sla", 1)],
        (12, 31),
        "head",
    ),
    "rec-hire": (
        "hr-recruiting",
        "Shorter time to hire",
        "Candidates hear back quickly and hiring managers fill roles sooner.",
        ("metric", "time-to-hire", "decrease", 0.6),
        [("hr-hire", 1)],
        (12, 31),
        "head",
    ),
}
NOTES = [
    "Steady week: the trend holds.",
    "Reviewed the figures with the team; two actions agreed.",
    "Good progress after the process change.",
    "Slower than hoped: holidays and a backlog.",
    "Back on course after the retrospective.",
    "Numbers improving; keeping the focus.",
]
BLOCKERS = ["", "", "", "Waiting for the new reporting tool.", "Two people short until the new hires start."]


def _figures(metric: Metric, department_id: int, cycle: GoalCycle, day: date) -> list[float]:
    """The goal's figures bucket by bucket since the cycle's start, or the last four months early in a cycle
    (its department's figures, else the metric's department's): complete buckets only, as progress counts them."""
    period = progress.period_of(metric)
    since = periods.bucket_start(min(cycle.start, day - timedelta(days=120)), period)
    for owner in (department_id, metric.department_id):
        rows = Rollup.objects.filter(
            metric=metric,
            owner_type=Rollup.DEPARTMENT,
            owner_id=owner,
            period=period,
            start__gte=since,
            start__lt=periods.bucket_start(day, period),
        )
        values = [v for v in (r.value_for(metric) for r in rows.order_by("start")) if v is not None]
        if len(values) >= 4:
            return values
    return []


def _baseline_and_target(metric: Metric, figures: list[float], direction: str, aim: float) -> tuple[float, float]:
    """Baseline: the mean of the first four buckets. Target: where the figures would be if the way they have come
    so far were `aim` of the whole way, or a 2% change when they have not moved the right way."""
    places = max(metric.decimals, 1)
    sign = 1 if direction == Goal.Direction.INCREASE else -1
    baseline = sum(figures[:4]) / 4
    gain = sign * (sum(figures[-3:]) / len(figures[-3:]) - baseline)
    change = gain / aim if gain > 0.02 * abs(baseline) else 0.02 * abs(baseline) or 10**-places
    target = baseline + sign * change
    if metric.max_value is not None:
        target = min(target, metric.max_value)
    if metric.min_value is not None:
        target = max(target, metric.min_value)
    return round(baseline, places), round(target, places)


def _beyond_today(metric: Metric, department, direction: str, baseline: float, target: float) -> float | None:
    """The target, or, when the metric already meets it today, the same step beyond today's figure: a goal set
    now must still have a way to go (smart refuses a target already met). None when no such target is possible."""
    standing = smart.current_standing(metric, department_id=department.pk if department else None)
    higher = direction == Goal.Direction.INCREASE
    if standing is None or not status_rules.meets(
        standing.value, target, higher_is_better=higher, decimals=metric.decimals
    ):
        return target
    places = max(metric.decimals, 1)
    step = max(abs(target - baseline), 10**-places)
    moved = standing.value + (step if higher else -step)
    if metric.max_value is not None:
        moved = min(moved, metric.max_value)
    if metric.min_value is not None:
        moved = max(moved, metric.min_value)
    moved = round(moved, places)
    if status_rules.meets(standing.value, moved, higher_is_better=higher, decimals=metric.decimals):
        return None
    return moved


def _data(
    spec, *, cycle: GoalCycle, department, owner: User, metrics: dict, made: dict, rng: random.Random, day: date
) -> GoalData | None:
    _level, title, description, measure, parents, (month, dom), _owner = spec
    data = GoalData(
        title=title,
        description=description,
        owner=owner,
        confidence=rng.randint(5, 9),
        due_date=date(cycle.start.year, month, dom),
        parents=[(made[key], float(weight)) for key, weight in parents if key in made],
    )
    if measure[0] == "metric":
        _kind, code, direction, aim = measure
        metric = metrics.get(code)
        figures = _figures(metric, department.pk if department else metric.department_id, cycle, day) if metric else []
        if not figures:
            return None
        data.metric, data.direction = metric, direction
        data.baseline, data.target = _baseline_and_target(metric, figures, direction, aim)
        data.target = _beyond_today(metric, department, direction, data.baseline, data.target)
        if data.target is None or data.target == data.baseline:
            return None
        probe = Goal(metric=metric, target=data.target, direction=direction)
        data.stretch_acknowledged = smart.stretch_beyond(probe, smart.best_reached(metric, direction))
    else:
        _kind, titles, done = measure
        elapsed = max(1, (day - cycle.start).days)
        data.key_results = [
            KeyResultData(
                title=t,
                weight=1.0,
                done_at=cycle.start + timedelta(days=elapsed * (i + 1) // (done + 1)) if i < done else None,
            )
            for i, t in enumerate(titles)
        ]
    return data


def _check_ins(cycle: GoalCycle, computed: progress.CycleProgress, goals: dict, rng: random.Random, day: date):
    """Two to five check-ins per goal across the cycle so far, each with the progress it had then."""
    rows = []
    milestones = progress.milestones_of(computed.goals)
    for key, goal in goals.items():
        chart = progress.history(goal, computed=computed, milestones=milestones, on=day)
        count = rng.randint(2, 5)
        last = day - timedelta(days=20 if PLAN[key][6] == "employee" else rng.randint(2, 12))
        step = max(7, (last - cycle.start).days // count)
        for n in range(count):
            when = last - timedelta(days=step * n)
            if when < cycle.start + timedelta(days=7):
                break
            upto = sum(1 for start in chart["starts"] if start <= when.isoformat())
            reached = next((v for v in reversed(chart["progress"][:upto]) if v is not None), None)
            rows.append(
                (
                    CheckIn(
                        goal=goal,
                        author=goal.owner,
                        note=rng.choice(NOTES),
                        confidence=rng.randint(4, 9),
                        blockers=rng.choice(BLOCKERS),
                        progress=reached,
                    ),
                    when,
                )
            )
    CheckIn.objects.bulk_create([row for row, _when in rows])
    zone = periods.organization_zone()
    for row, when in rows:  # created_at is set on insert; the demo back-dates it
        CheckIn.objects.filter(pk=row.pk).update(
            created_at=timezone.make_aware(datetime.combine(when, time(16, 30)), zone)
        )
    return len(rows)


@transaction.atomic
def seed_goals(*, rng: random.Random, size: str, stdout=None) -> str:
    """A cycle for the current year: organization goals, division and team goals aligned to them (on demo
    metrics or milestones), owners, confidence and check-ins, so progress varies from goal to goal."""
    day = periods.today()
    name = str(day.year)
    if GoalCycle.objects.filter(name=name).exists():
        return f"goals: cycle {name} already there"
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        return "goals: no demo organization yet"
    cycle = GoalCycle.objects.create(name=name, start=date(day.year, 1, 1), end=date(day.year, 12, 31))
    codes = {spec[0] for spec in PLAN.values() if spec[0]}
    departments = {d.code: d for d in Department.objects.filter(code__in=codes).prefetch_related("managers")}
    metrics = {m.code: m for m in Metric.objects.select_related("department")}
    people = {u.username: u for u in User.objects.filter(username__in=["admin", "employee"])}
    made: dict[str, Goal] = {}
    for key, spec in PLAN.items():
        level, owner_kind = spec[0], spec[6]
        department = departments.get(level) if level else None
        if level and department is None:
            continue
        heads = sorted(department.managers.all(), key=lambda u: u.username) if department else []
        author = heads[0] if heads else admin
        owner = people.get(owner_kind) or author
        data = _data(
            spec, cycle=cycle, department=department, owner=owner, metrics=metrics, made=made, rng=rng, day=day
        )
        if data is None or (department is not None and not data.parents):
            continue
        made[key] = goal_services.create_goal(by=author, cycle=cycle, department=department, data=data)
    computed = progress.for_cycle(cycle, on=day)
    goals = {key: computed.goals[goal.pk] for key, goal in made.items()}
    check_ins = _check_ins(cycle, computed, goals, rng, day)
    return f"goals: cycle {name} with {len(made)} goals and {check_ins} check-ins"


def register() -> None:
    demo.register(name="definitions", order=20, run=seed_definitions)
    demo.register(name="goals", order=30, run=seed_goals)
