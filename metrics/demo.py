"""Demo metrics: quality measures for every division, two years of readings with trends, rolled up."""

import math
import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from core import demo, periods
from metrics.models import ClosedPeriod, Metric, Reading, Target
from metrics.services import awards, rollups
from metrics.services.readings import ReadingRow, store_rows
from org.models import Department, User

# division code -> [(code, name, unit, direction, aggregation, owner, frequency, target, warning, base, spread,
#                    (min, max), extra)]
CATALOGUE = {
    "customer-service": [
        (
            "first-contact-resolution",
            "First-contact resolution",
            "%",
            "higher",
            "mean",
            "person",
            "daily",
            78,
            70,
            74,
            9,
            (0, 100),
            {},
        ),
        (
            "first-reply-time",
            "First reply time",
            "h",
            "lower",
            "mean",
            "person",
            "weekly",
            4,
            6,
            4.6,
            1.4,
            (0, None),
            {},
        ),
        (
            "csat",
            "Customer satisfaction (CSAT)",
            "%",
            "higher",
            "mean",
            "department",
            "weekly",
            85,
            78,
            83,
            4,
            (0, 100),
            {},
        ),
    ],
    "operations": [
        (
            "on-time-delivery",
            "On-time delivery",
            "%",
            "higher",
            "mean",
            "person",
            "weekly",
            95,
            90,
            93,
            4,
            (0, 100),
            {},
        ),
        (
            "defects-per-1000",
            "Defects per 1,000 units",
            "",
            "lower",
            "ratio",
            "person",
            "weekly",
            2.0,
            3.5,
            2.4,
            1.0,
            (0, None),
            {"ratio_scale": 1000, "denominator_label": "units shipped"},
        ),
    ],
    "engineering": [
        (
            "escaped-defects",
            "Escaped defects",
            "defects",
            "lower",
            "sum",
            "person",
            "weekly",
            1,
            2,
            0.8,
            0.9,
            (0, None),
            {"decimals": 0},
        ),
    ],
    "sales-marketing": [
        (
            "promise-kept-rate",
            "Delivery promises kept",
            "%",
            "higher",
            "mean",
            "person",
            "weekly",
            92,
            85,
            89,
            5,
            (0, 100),
            {},
        ),
    ],
    "it": [
        (
            "ticket-resolution-sla",
            "Tickets resolved within SLA",
            "%",
            "higher",
            "mean",
            "person",
            "weekly",
            90,
            82,
            87,
            6,
            (0, 100),
            {},
        ),
    ],
    "hr": [
        (
            "time-to-hire",
            "Time to hire",
            "days",
            "lower",
            "mean",
            "department",
            "monthly",
            30,
            40,
            34,
            6,
            (0, None),
            {"decimals": 0},
        ),
    ],
    "finance": [
        (
            "invoice-accuracy",
            "Invoice accuracy",
            "%",
            "higher",
            "mean",
            "person",
            "weekly",
            99,
            97.5,
            98.6,
            0.9,
            (0, 100),
            {"decimals": 2},
        ),
    ],
    "facilities": [
        (
            "requests-within-sla",
            "Facility requests within SLA",
            "%",
            "higher",
            "mean",
            "department",
            "weekly",
            90,
            80,
            86,
            6,
            (0, 100),
            {},
        ),
    ],
}
HISTORY_DAYS = {"small": 730, "large": 182}


def _clamp(value, bounds):
    low, high = bounds
    if low is not None:
        value = max(low, value)
    if high is not None:
        value = min(high, value)
    return value


def _days(frequency: str, first, last):
    day = first
    step = {"daily": 1, "weekly": 7, "monthly": 0}[frequency]
    while day <= last:
        if frequency == "daily" and day.weekday() >= 5:
            day += timedelta(days=1)
            continue
        yield day
        day = periods.shift(day, periods.MONTH, 1) if frequency == "monthly" else day + timedelta(days=step)


@transaction.atomic
def seed_metrics(*, rng: random.Random, size: str, stdout=None) -> str:
    """Metrics with targets (one raised a year ago), readings with trends and noise, and their rollups."""
    divisions = {d.code: d for d in Department.objects.filter(code__in=CATALOGUE)}
    created_metrics, rows = 0, []
    last_day = periods.today() - timedelta(days=1)
    first_day = last_day - timedelta(days=HISTORY_DAYS[size])
    zone = periods.organization_zone()
    for code, specs in CATALOGUE.items():
        division = divisions.get(code)
        if division is None:
            continue
        people = list(
            User.objects.filter(department__in=Department.objects.subtree_of(division), is_active=True)
            .select_related("department")
            .order_by("username")
        )
        for (
            m_code,
            name,
            unit,
            direction,
            aggregation,
            owner,
            frequency,
            target,
            warning,
            base,
            spread,
            bounds,
            extra,
        ) in specs:
            metric, created = Metric.objects.get_or_create(
                code=m_code,
                defaults=dict(
                    department=division,
                    name=name,
                    unit=unit,
                    direction=direction,
                    aggregation=aggregation,
                    owner_kind=owner,
                    frequency=frequency,
                    min_value=bounds[0],
                    max_value=bounds[1],
                    description=f"Demo measure of {name.lower()} for {division}.",
                    **extra,
                ),
            )
            if not created:
                continue
            created_metrics += 1
            # The target was tightened a year ago: history keeps the target it had.
            easier = target - (target - warning) / 2
            Target.objects.create(metric=metric, valid_from=None, target=easier, warning=warning)
            Target.objects.create(
                metric=metric, valid_from=last_day - timedelta(days=365), target=target, warning=warning
            )
            better = 1 if direction == "higher" else -1
            owners = people if owner == "person" else [None]
            for person in owners:
                skill = rng.gauss(0, spread / 2)
                for day in _days(frequency, first_day, last_day):
                    age = (last_day - day).days / 365
                    drift = better * spread * 0.6 * (1 - age)  # slow improvement over the two years
                    season = spread * 0.3 * math.sin(day.timetuple().tm_yday / 365 * 2 * math.pi)
                    value = _clamp(base + skill + drift + season + rng.gauss(0, spread / 2), bounds)
                    when = timezone.make_aware(datetime.combine(day, time(17, 0)), zone)
                    denominator = None
                    if aggregation == "ratio":
                        denominator = float(rng.randint(800, 1600))
                        value = max(0.0, round(value * denominator / 1000))
                    elif extra.get("decimals") == 0:
                        value = max(0.0, round(value))
                    rows.append(
                        ReadingRow(
                            metric=metric,
                            person=person,
                            measured_at=when,
                            value=round(value, 2),
                            denominator=denominator,
                        )
                    )
    if not rows:
        return f"metrics: {Metric.objects.count()} metrics (0 new), 0 new readings"
    store_rows(rows, recorded_by=None, source=Reading.Source.DEMO)  # also queues the touched rollup buckets
    result = rollups.run()
    closed = _close_recent_months(division=divisions.get("customer-service"), last_day=last_day)
    return (
        f"metrics: {Metric.objects.count()} metrics ({created_metrics} new), {len(rows)} new readings, "
        f"{result.buckets} rollup buckets, {closed} closed months with awards"
    )


def _close_recent_months(*, division, last_day) -> int:
    """Close Customer Service's last two complete months and confirm the suggested awards, as a manager would."""
    if division is None:
        return 0
    closer = division.managers.first() or User.objects.filter(is_superuser=True).first()
    this_month = periods.bucket_start(last_day + timedelta(days=1), periods.MONTH)
    closed = 0
    for steps, rule in ((-2, ClosedPeriod.Rule.TOP_WEIGHTED), (-1, ClosedPeriod.Rule.ALL_ON_TARGET)):
        start = periods.shift(this_month, periods.MONTH, steps)
        period = awards.close_period(
            department=division, period=periods.MONTH, start=start, rule=rule, top_n=3, closed_by=closer
        )
        for award in period.awards.all():
            awards.confirm_award(
                award=award,
                confirmed_by=closer,
                note="Thank you: your results kept our promise to customers this month.",
            )
        closed += 1
    return closed


def register() -> None:
    demo.register(name="metrics", order=10, run=seed_metrics)
