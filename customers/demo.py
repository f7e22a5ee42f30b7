"""Demo data of customers: Customer Service's external customers, IT's internal ones, and reality checks."""

import logging
import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from core import demo
from customers.models import Answer, Campaign, CampaignQuestion, Customer, FollowUp, Recipient
from customers.services import answers, campaigns
from customers.tokens import new_token
from goals.models import QualityDefinition
from goals.services.definitions import current_version
from org.models import Department

_log = logging.getLogger(__name__)

# --- reality checks: two closed campaigns with answers and follow-ups, and one open ----------------------------------

DEMO_CAMPAIGNS = [
    # title, days before today it ended, share of answers worse than promised, share better
    ("Support tickets reality check, spring", 95, 0.34, 0.12),
    ("Support tickets reality check, summer", 25, 0.20, 0.22),
]
DEMO_COMMENTS = [
    "The first reply came quickly, but the fix took three more days.",
    "Friendly and clear.",
    "I had to explain the problem twice.",
    "Solved on the first call, thank you!",
    "Nobody told me my ticket was closed.",
    "Better than I expected.",
    "",
]


def _demo_campaign(*, definition, version, customers, title, starts_on, ends_on, status, by):
    campaign = Campaign.objects.create(
        department=definition.department,
        definition=definition,
        version=version,
        title=title,
        customer_title=f"{definition.department.name}: how did we do?",
        include_nps=True,
        include_csat=True,
        starts_on=starts_on,
        ends_on=ends_on,
        status=Campaign.Status.SENT,
        created_by=by,
        sample_size=len(customers),
        drawn_at=timezone.now(),
    )
    CampaignQuestion.objects.bulk_create(
        [
            CampaignQuestion(
                campaign=campaign,
                position=n,
                criterion=c,
                promise=c.text[:300],
                prompt="How did your experience compare with this promise?",
            )
            for n, c in enumerate(version.criteria.order_by("position", "pk"))
        ]
    )
    return campaign


def _demo_recipients(campaign, customers, *, expires_at, sent_at):
    return Recipient.objects.bulk_create(
        [
            Recipient(
                campaign=campaign,
                customer=c,
                segment=c.segment,
                token_hash=new_token()[1],
                expires_at=expires_at,
                sent_at=sent_at,
            )
            for c in customers
        ]
    )


def _demo_answer(recipient, questions, *, rng: random.Random, worse: float, better: float, at) -> None:
    """One response through the answers service: each criterion worse than promised with chance `worse`, better
    with chance `better`, otherwise as promised; NPS and CSAT follow how many were worse."""
    rows = []
    for question in questions:
        draw = rng.random()  # one answer on the one scale: 1-3 worse than promised, 4 as promised, 5-7 better
        rating = (
            rng.randint(1, 3) if draw < worse else rng.randint(5, 7) if draw > 1 - better else Answer.Rating.AS_PROMISED
        )
        rows.append(answers.AnswerRow(question=question, rating=rating))
    unhappy = sum(Answer.comparison_of(r.rating) == Answer.Comparison.WORSE for r in rows)
    nps = max(0, min(10, rng.randint(7, 10) - 3 * unhappy))
    csat = max(1, min(5, rng.randint(4, 5) - unhappy))
    answers.submit(recipient=recipient, answers=rows, comment=rng.choice(DEMO_COMMENTS), nps=nps, csat=csat, now=at)


@transaction.atomic
def seed_customer_campaigns(*, rng: random.Random, size: str, stdout=None) -> str:
    """Two closed reality checks of Customer Service's "Support tickets" with about 40 answers each (some worse
    than promised, with follow-ups, some closed), their scores recorded as readings, and one open campaign."""
    definition = (
        QualityDefinition.objects.select_related("department")
        .filter(department__code="customer-service", title="Support tickets")
        .first()
    )
    version = current_version(definition) if definition else None
    customers = list(
        Customer.objects.filter(
            department__code="customer-service", kind=Customer.Kind.EXTERNAL, opted_out_at__isnull=True
        ).order_by("pk")[:120]
    )
    if version is None or not customers:
        return "customer campaigns: skipped (no “Support tickets” definition or no Customer Service customers)"
    if Campaign.objects.filter(definition=definition, title=DEMO_CAMPAIGNS[0][0]).exists():
        return f"customer campaigns: {Campaign.objects.filter(definition=definition).count()} campaigns (0 new)"
    manager = definition.department.managers.order_by("username").first()
    today = timezone.localdate()
    zone = timezone.get_current_timezone()
    recorded = responses = 0
    for title, ended_days_ago, worse, better in DEMO_CAMPAIGNS:
        ends_on = today - timedelta(days=ended_days_ago)
        starts_on = ends_on - timedelta(days=21)
        chosen = rng.sample(customers, min(len(customers), 40 + rng.randint(0, 4)))
        campaign = _demo_campaign(
            definition=definition,
            version=version,
            customers=chosen,
            title=title,
            starts_on=starts_on,
            ends_on=ends_on,
            status=Campaign.Status.SENT,
            by=manager,
        )
        sent_at = datetime.combine(starts_on, time(9), tzinfo=zone)
        questions = list(campaign.questions.all())
        for recipient in _demo_recipients(
            campaign, chosen, expires_at=datetime.combine(ends_on, time(23, 59), tzinfo=zone), sent_at=sent_at
        ):
            if rng.random() < 0.12:
                continue  # did not answer
            answered_at = sent_at + timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 8))
            _demo_answer(recipient, questions, rng=rng, worse=worse, better=better, at=answered_at)
            responses += 1
        closed_at = datetime.combine(ends_on, time(23, 59), tzinfo=zone)
        try:
            recorded += campaigns.close_campaign(campaign=campaign, at=closed_at) or 0
        except Exception as error:  # the demo goes on without the scores
            _log.warning("Demo scores of %s not recorded: %s", campaign, error)
        # The older campaign's follow-ups were mostly dealt with; the newer one's partly.
        share_closed = 0.8 if ended_days_ago > 60 else 0.4
        for follow_up in FollowUp.objects.filter(campaign=campaign).select_related("response").order_by("pk"):
            if rng.random() < share_closed:
                # Most within the two weeks they are due in, some late: the list shows both.
                late = rng.random() < 0.25
                days = (
                    rng.randint(answers.FOLLOW_UP_DAYS + 2, answers.FOLLOW_UP_DAYS + 12)
                    if late
                    else rng.randint(1, answers.FOLLOW_UP_DAYS - 1)
                )
                done = follow_up.response.submitted_at + timedelta(days=days, hours=rng.randint(0, 8))
                FollowUp.objects.filter(pk=follow_up.pk).update(
                    status=FollowUp.Status.CLOSED,
                    closed_at=min(done, timezone.now()),
                    resolution=rng.choice(
                        [
                            "Called the customer back and fixed it.",
                            "Apologised; process changed.",
                            "Refund sent and explained.",
                        ]
                    ),
                )
    # Follow-ups were stamped "now" on creation; date them from their answers so times to close are realistic.
    for follow_up in FollowUp.objects.filter(campaign__definition=definition).select_related("response"):
        FollowUp.objects.filter(pk=follow_up.pk).update(created_at=follow_up.response.submitted_at)
    open_campaign = _demo_campaign(
        definition=definition,
        version=version,
        customers=customers[:8],
        title="Support tickets reality check, now",
        starts_on=today - timedelta(days=3),
        ends_on=today + timedelta(days=18),
        status=Campaign.Status.SENT,
        by=manager,
    )
    sent_at = timezone.now() - timedelta(days=3)
    waiting = _demo_recipients(
        open_campaign, customers[:8], expires_at=timezone.now() + timedelta(days=18), sent_at=sent_at
    )
    # The first answers of the running campaign: their follow-ups are open and not due yet.
    questions = list(open_campaign.questions.all())
    for n, recipient in enumerate(waiting[:3]):
        at = sent_at + timedelta(days=n, hours=rng.randint(1, 8))
        _demo_answer(recipient, questions, rng=rng, worse=1.0 if n == 0 else 0.3, better=0.2, at=at)
        responses += 1
    follow_ups = FollowUp.objects.filter(campaign__definition=definition)
    return (
        f"customer campaigns: 3 new ({responses} responses, {follow_ups.count()} follow-ups, "
        f"{follow_ups.open().count()} open, {recorded} score readings)"
    )


# --- customer lists: Customer Service's external customers and IT's internal ones --------------------------------

DEMO_SEGMENTS = [("retail", 0.45), ("online", 0.25), ("wholesale", 0.2), ("public sector", 0.1)]
DEMO_PRODUCTS = {
    "retail": ["store support", "returns", "loyalty card"],
    "online": ["web shop", "delivery", "returns"],
    "wholesale": ["bulk orders", "account management", "invoicing"],
    "public sector": ["framework contract", "service desk", "invoicing"],
}
DEMO_COMPANY_WORDS = [
    "Harbour",
    "Summit",
    "Lakeside",
    "Northwind",
    "Bluebell",
    "Granite",
    "Maple",
    "Riverside",
    "Copper",
    "Oakridge",
    "Silverline",
    "Meadow",
    "Pioneer",
    "Beacon",
    "Cedar",
    "Falcon",
]
DEMO_COMPANY_KINDS = {
    "retail": ["Books", "Outfitters", "Grocers", "Pharmacy", "Hardware"],
    "online": ["Online", "Direct", "Shop", "Marketplace"],
    "wholesale": ["Trading", "Supplies", "Distribution", "Wholesale"],
    "public sector": ["City Council", "School District", "Health Trust", "Library Service"],
}
DEMO_CUSTOMERS = 300


@transaction.atomic
def seed_customers(*, rng: random.Random, size: str, stdout=None) -> str:
    """About 300 external customers of Customer Service in four segments (a few opted out, some asked in the last
    month), and the other divisions as IT's internal customers. Idempotent: e-mail addresses and internal
    departments are unique per list, so a second run adds nothing."""
    service = Department.objects.filter(code="customer-service").first()
    it = Department.objects.filter(code="it").first()
    if service is None:
        return "customers: skipped (no Customer Service department)"
    now = timezone.now()
    rows = []
    for n in range(DEMO_CUSTOMERS):
        draw, segment = rng.random(), DEMO_SEGMENTS[-1][0]
        for name, share in DEMO_SEGMENTS:
            if draw < share:
                segment = name
                break
            draw -= share
        company = f"{rng.choice(DEMO_COMPANY_WORDS)} {rng.choice(DEMO_COMPANY_KINDS[segment])} {n + 1}"
        contacted = now - timedelta(days=rng.randint(3, 40)) if rng.random() < 0.12 else None
        opted_out = now - timedelta(days=rng.randint(30, 300)) if rng.random() < 0.03 else None
        rows.append(
            Customer(
                department=service,
                kind=Customer.Kind.EXTERNAL,
                name=company,
                email=f"contact{n + 1}@customer{n + 1}.example",
                segment=segment,
                products=", ".join(rng.sample(DEMO_PRODUCTS[segment], 2)),
                last_contacted_at=contacted,
                opted_out_at=opted_out,
            )
        )
    before = Customer.objects.count()
    Customer.objects.bulk_create(rows, ignore_conflicts=True)
    external = Customer.objects.count() - before
    internal = 0
    if it is not None:
        divisions = Department.objects.filter(parent=it.parent).exclude(pk=it.pk).order_by("name")
        before = Customer.objects.count()
        Customer.objects.bulk_create(
            [
                Customer(
                    department=it,
                    kind=Customer.Kind.INTERNAL,
                    name=d.name,
                    segment=d.name.lower()[:60],
                    internal_department=d,
                )
                for d in divisions
            ],
            ignore_conflicts=True,
        )
        internal = Customer.objects.count() - before
    return (
        f"customers: {Customer.objects.filter(department=service).count()} for Customer Service "
        f"({external} new), {internal} new internal customers of IT"
    )


def register() -> None:
    demo.register(name="customers", order=50, run=seed_customers)
    demo.register(name="customer-campaigns", order=55, run=seed_customer_campaigns)
