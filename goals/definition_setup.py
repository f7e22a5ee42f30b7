"""Registers the quality definitions' home page section and demo step (imported by GoalsConfig.ready)."""

import random
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from core import demo, today
from goals.models import Acknowledgement, QualityDefinition
from goals.services import definitions
from goals.services.definitions import CriterionRow
from metrics.models import Metric
from org.models import Department, User

TODAY_LIMIT = 8


def to_acknowledge(request) -> dict | None:
    """Today's "To acknowledge": the person's pending definitions, oldest request first. One query (two when
    there are more than fit)."""
    rows = list(definitions.pending_acknowledgements(request.user)
                .select_related("definition__department")[:TODAY_LIMIT + 1])
    if not rows:
        return None
    more = len(rows) > TODAY_LIMIT
    count = definitions.pending_acknowledgements(request.user).count() if more else len(rows)
    return {"rows": rows[:TODAY_LIMIT], "more": more, "count": count}


today.register(key="definitions", title="To acknowledge", order=10, template="goals/_today_acknowledge.html",
               context=to_acknowledge)


# --- demo data ---------------------------------------------------------------------------------------------------

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
    DemoDefinition("customer-service", "Support tickets", "customers who contact us by phone, e-mail or chat", (),
                   False, [
        DemoVersion(160, True, "", "Every customer who contacts us gets a first reply within one working day and "
                    "an answer that solves their problem.", [
            ("First reply within 8 business hours", "first-reply-time", 8),
            ("Most problems solved in the first contact", "first-contact-resolution", 70),
        ]),
        DemoVersion(12, True, "First reply within 4 instead of 8 business hours; customer satisfaction added.",
                    "Every customer who contacts us gets a helpful first reply within four business hours, and most "
                    "problems are solved in that first contact.", [
            ("First reply within 4 business hours, 95% of tickets", "first-reply-time", 4),
            ("Problems solved in the first contact", "first-contact-resolution", 78),
            ("Customers satisfied with the answer", "csat", 85),
        ]),
    ]),
    DemoDefinition("it", "Service desk", "", ("customer-service", "operations"), True, [
        DemoVersion(120, True, "", "When something you need for work breaks, the service desk gets you working "
                    "again the same day.", [
            ("Tickets resolved within the agreed time", "ticket-resolution-sla", 90),
            ("Outages acknowledged within 15 minutes", None, None),
        ]),
        DemoVersion(30, False, "Clearer wording; the criteria are unchanged.",
                    "When a tool or device you need for work breaks, the service desk gets you working again the "
                    "same day, and tells you what happens next.", [
            ("Tickets resolved within the agreed time", "ticket-resolution-sla", 90),
            ("Outages acknowledged within 15 minutes", None, None),
        ]),
    ]),
    DemoDefinition("operations", "Order delivery", "online shoppers and business customers", (), False, [
        DemoVersion(200, True, "", "Orders arrive complete, undamaged and on the day we promised.", [
            ("Delivered on the promised day", "on-time-delivery", 92),
            ("Fewer than 3 defective units per 1,000 shipped", "defects-per-1000", 3),
        ]),
        DemoVersion(9, True, "Tighter punctuality and defect targets; late deliveries are announced.",
                    "Orders arrive complete, undamaged and on the day we promised; if a delivery will be late, the "
                    "customer hears it from us first.", [
            ("Delivered on the promised day, 95% of orders", "on-time-delivery", 95),
            ("Fewer than 2 defective units per 1,000 shipped", "defects-per-1000", 2),
            ("Customers told within an hour when a delivery will be late", None, None),
        ]),
    ]),
    DemoDefinition("finance", "Invoicing", "business customers", (), False, [
        DemoVersion(90, True, "", "Every invoice is correct, clear and on time.", [
            ("Invoices needing no correction", "invoice-accuracy", 99),
        ]),
        DemoVersion(20, False, "Says what “correct” means for the customer.",
                    "Every invoice is correct the first time, easy to read and sent on time.", [
            ("Invoices needing no correction", "invoice-accuracy", 99),
        ]),
    ]),
]
DEMO_EMPLOYEE = "employee"  # keeps something to acknowledge, so the demo's Today shows the section


def _acknowledge_some(definition: QualityDefinition, *, rng: random.Random, now) -> None:
    """Most people acknowledged earlier major versions; about half the current one; the demo employee not yet."""
    current = definitions.current_version(definition).major
    rows = list(Acknowledgement.objects.filter(definition=definition, acknowledged_at__isnull=True)
                .select_related("person").order_by("major", "person__username"))
    for row in rows:
        is_current = row.major == current
        if is_current and row.person.username == DEMO_EMPLOYEE:
            continue
        if rng.random() < (0.55 if is_current else 0.9):
            hours = (now - row.requested_at).total_seconds() / 3600
            row.acknowledged_at = row.requested_at + timedelta(hours=rng.uniform(0.5, min(hours - 0.5, 24 * 9)))
    Acknowledgement.objects.bulk_update([r for r in rows if r.acknowledged_at], ["acknowledged_at"],
                                        batch_size=1000)


def _criteria(version: DemoVersion, metrics: dict[str, Metric]) -> list[CriterionRow]:
    """The version's criteria, linked to the demo metrics that exist (a threshold only with its metric)."""
    return [CriterionRow(text=text, metric=metrics.get(code), threshold=threshold if code in metrics else None)
            for text, code, threshold in version.criteria]


@demo.register(name="definitions", order=20)
@transaction.atomic
def seed_definitions(*, rng: random.Random, size: str, stdout=None) -> str:
    """Four definitions, each with two published versions (major or minor) and partial acknowledgement."""
    codes = {spec.division for spec in DEMO_DEFINITIONS} | {c for spec in DEMO_DEFINITIONS for c in spec.served}
    departments = {d.code: d for d in Department.objects.filter(code__in=codes)}
    metrics = {m.code: m for m in Metric.objects.filter(
        code__in={code for spec in DEMO_DEFINITIONS for v in spec.versions for _t, code, _x in v.criteria if code})}
    admin = User.objects.filter(is_staff=True, is_active=True).order_by("username").first()
    now = timezone.now()
    created = 0
    for spec in DEMO_DEFINITIONS:
        division = departments.get(spec.division)
        if division is None or QualityDefinition.objects.filter(department=division,
                                                                title__iexact=spec.title).exists():
            continue
        author = division.managers.order_by("username").first() or admin
        if author is None:
            continue

        first = spec.versions[0]
        definition = definitions.create_definition(
            by=author, department=division, title=spec.title, external_customers=spec.external_customers,
            served_departments=[departments[c] for c in spec.served if c in departments],
            ask_served_departments=spec.ask_served, promise=first.promise, criteria=_criteria(first, metrics))
        for n, version in enumerate(spec.versions):
            if n:
                definitions.save_draft(definition=definition, by=author, promise=version.promise,
                                       criteria=_criteria(version, metrics), keep_if_unchanged=True)
            definitions.publish(definition=definition, major=version.major, change_summary=version.summary,
                                by=author, at=now - timedelta(days=version.days_ago, hours=rng.randint(0, 8)))
        _acknowledge_some(definition, rng=rng, now=now)
        created += 1
    asked = Acknowledgement.objects.count()
    pending = Acknowledgement.objects.filter(acknowledged_at__isnull=True).count()
    return (f"definitions: {QualityDefinition.objects.count()} definitions ({created} new), {asked} acknowledgements "
            f"asked, {pending} not given")
