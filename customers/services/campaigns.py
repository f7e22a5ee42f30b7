"""Writes of the customer list and of reality-check campaigns: customers, opt-outs, campaigns, questions, sending.

The random draw lives in customers.services.sampling (SQL), the CSV import in customers.services.imports; both
raise RuleViolation like everything here.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import best_effort, dates, periods
from core.exceptions import RuleViolation
from customers.models import Campaign, CampaignQuestion, Customer
from goals.models import QualityDefinition
from goals.services.definitions import current_version
from org import access
from org.models import Department, User

log = logging.getLogger(__name__)

DEFAULT_PROMPT = "How did your experience compare with this promise?"
# Segments always offered (and accepted by the import) besides those a department's customers already use.
DEFAULT_SEGMENTS = ("retail", "wholesale", "public sector", "online", "enterprise", "small business")


def known_segments(*, department: Department) -> list[str]:
    """The default segments plus those the department's customers already use, lower-cased and sorted."""
    used = Customer.objects.filter(department=department).exclude(segment="").values_list("segment", flat=True)
    return sorted({s.lower() for s in DEFAULT_SEGMENTS} | {s.lower() for s in used.distinct()})


def _require_manager(by: User, department: Department) -> None:
    if not access.can_manage(by, department):
        raise RuleViolation(f"You do not manage {department}; only its managers can change its customers.")


def _save(instance, *, duplicate: str):
    """full_clean() then save; the e-mail-once-per-department constraint becomes the `duplicate` message."""
    try:
        instance.full_clean()
    except ValidationError as error:
        errors = error.message_dict
        if "email" in errors:
            raise RuleViolation(
                f"“{instance.email}” is not an e-mail address, e.g. jo@example.com.", field="email"
            ) from None
        if "__all__" in errors:  # the only model-wide check that can fail here is the unique e-mail
            raise RuleViolation(duplicate, field="email") from None
        field, messages = next(iter(errors.items()))
        raise RuleViolation(messages[0], field=field) from None
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:  # the same address added at the same moment by someone else
        raise RuleViolation(duplicate, field="email") from None
    return instance


@transaction.atomic
def add_customer(
    *, by: User, department: Department, name: str, email: str, segment: str = "", products: str = ""
) -> Customer:
    """Add an external customer to a department's list. Raises RuleViolation when the person does not manage the
    department, the e-mail address is invalid, or it is already in the list."""
    _require_manager(by, department)
    customer = Customer(
        department=department,
        kind=Customer.Kind.EXTERNAL,
        name=name.strip(),
        email=email.strip(),
        segment=segment.strip().lower(),
        products=products.strip(),
    )
    return _save(customer, duplicate=f"{email} is already in {department}'s customer list.")


@transaction.atomic
def update_customer(
    *, by: User, customer: Customer, name: str, email: str, segment: str = "", products: str = ""
) -> Customer:
    """Change an external customer's details; the same errors as add_customer."""
    _require_manager(by, customer.department)
    customer.name, customer.email = name.strip(), email.strip()
    customer.segment, customer.products = segment.strip().lower(), products.strip()
    return _save(customer, duplicate=f"{email} is already in {customer.department}'s customer list.")


@transaction.atomic
def set_internal_customers(*, by: User, department: Department, served: list[Department]) -> tuple[int, int]:
    """Make exactly `served` the internal customers of `department` (their members answer internal campaigns).

    Departments no longer served lose their entry unless a campaign drew them (then they are opted out instead,
    keeping history). Returns (added, removed). Raises RuleViolation for a department serving itself.
    """
    _require_manager(by, department)
    if any(d.pk == department.pk for d in served):
        raise RuleViolation(f"{department} cannot be its own internal customer.", field="departments")
    existing = {
        c.internal_department_id: c for c in Customer.objects.filter(department=department, kind=Customer.Kind.INTERNAL)
    }
    wanted = {d.pk: d for d in served}
    new = [
        Customer(
            department=department,
            kind=Customer.Kind.INTERNAL,
            name=d.name,
            segment=d.name.lower()[:60],
            internal_department=d,
        )
        for pk, d in wanted.items()
        if pk not in existing
    ]
    Customer.objects.bulk_create(new)
    Customer.objects.filter(pk__in=[c.pk for pk, c in existing.items() if pk in wanted]).update(opted_out_at=None)
    gone = [c.pk for pk, c in existing.items() if pk not in wanted]
    removable = Customer.objects.filter(pk__in=gone, recipients__isnull=True)
    removed = removable.count()
    removable.delete()
    Customer.objects.filter(pk__in=gone, opted_out_at__isnull=True).update(opted_out_at=timezone.now())
    return len(new), removed


def opt_out(*, customer: Customer, by: User | None = None) -> bool:
    """Mark the customer as never to be asked again (a person may ask for it; `by` is None then). Idempotent:
    returns False when they had already opted out."""
    if by is not None:
        _require_manager(by, customer.department)
    changed = Customer.objects.filter(pk=customer.pk, opted_out_at__isnull=True).update(opted_out_at=timezone.now())
    customer.refresh_from_db(fields=["opted_out_at"])
    return bool(changed)


# --- campaigns ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionRow:
    promise: str
    prompt: str = DEFAULT_PROMPT
    criterion_id: int | None = None


MAX_SAMPLE_SIZE = 1_000_000  # far above any department's customers; keeps the number inside the database's integer
MAX_EXCLUDE_DAYS = 3_650  # ten years


def _check_sample(*, sample_size: int | None, sample_percent: float | None) -> None:
    if (sample_size is None) == (sample_percent is None):
        raise RuleViolation(
            "Give either a sample size (a number of customers) or a percentage, not both.", field="sample_size"
        )
    if sample_size is not None and not 1 <= sample_size <= MAX_SAMPLE_SIZE:
        raise RuleViolation(
            f"The sample size must be between 1 and {MAX_SAMPLE_SIZE:,} customers.", field="sample_size"
        )
    if sample_percent is not None and not 0 < sample_percent <= 100:
        raise RuleViolation("The percentage must be above 0 and at most 100.", field="sample_percent")


def _check_dates(*, starts_on: date, ends_on: date) -> None:
    dates.check(starts_on)
    dates.check(ends_on, field="ends_on")
    today = periods.today()
    if ends_on < today:
        raise RuleViolation(
            f"The end date {ends_on:%d %b %Y} is in the past; choose today or a later day.", field="ends_on"
        )
    if ends_on < starts_on:
        raise RuleViolation(f"The campaign must end on or after its start ({starts_on:%d %b %Y}).", field="ends_on")


@transaction.atomic
def create_campaign(
    *,
    by: User,
    definition: QualityDefinition,
    department: Department,
    title: str = "",
    customer_title: str = "",
    audience: str = Customer.Kind.EXTERNAL,
    starts_on: date | None = None,
    ends_on: date,
    sample_size: int | None = None,
    sample_percent: float | None = None,
    stratify_by_segment: bool = False,
    exclude_days: int = 90,
    include_nps: bool = False,
    include_csat: bool = False,
) -> Campaign:
    """A draft campaign asking about the definition's current published version: one question per acceptance
    criterion, the criterion's words as the promise. `title` is the internal name (empty: "Reality check:
    <definition>"); `customer_title` is what the people asked read as the e-mail's subject and the answer page's
    heading (empty: "<department>: how did we do?").

    Raises RuleViolation when the person does not manage the department, the definition has no published version
    or its version has no criteria, the end date is past or before the start, or the sample is given wrongly.
    """
    _require_manager(by, department)
    version = current_version(definition)
    if version is None:
        raise RuleViolation(
            f"“{definition}” has no published version yet; publish it before asking customers about it.",
            field="definition",
        )
    criteria = list(version.criteria.order_by("position", "pk"))
    if not criteria:
        raise RuleViolation(
            f"“{definition}” {version.label} has no acceptance criteria, so there is nothing to "
            "ask. Add criteria and publish a new version.",
            field="definition",
        )
    starts_on = starts_on or periods.today()
    _check_dates(starts_on=starts_on, ends_on=ends_on)
    _check_sample(sample_size=sample_size, sample_percent=sample_percent)
    if not 0 <= exclude_days <= MAX_EXCLUDE_DAYS:
        raise RuleViolation(f"Skip those asked in the last 0 to {MAX_EXCLUDE_DAYS:,} days.", field="exclude_days")
    campaign = Campaign.objects.create(
        department=department,
        definition=definition,
        version=version,
        title=title.strip() or f"Reality check: {definition.title}",
        customer_title=customer_title.strip() or f"{department.name}: how did we do?"[:200],
        audience=audience,
        sample_size=sample_size,
        sample_percent=sample_percent,
        stratify_by_segment=stratify_by_segment,
        exclude_days=exclude_days,
        include_nps=include_nps,
        include_csat=include_csat,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=by,
    )
    CampaignQuestion.objects.bulk_create(
        [
            CampaignQuestion(campaign=campaign, position=i, criterion=c, promise=c.text, prompt=DEFAULT_PROMPT)
            for i, c in enumerate(criteria)
        ]
    )
    return campaign


def _require_draft(campaign: Campaign, what: str) -> None:
    if campaign.status != Campaign.Status.DRAFT:
        raise RuleViolation(f"This campaign was already sent; its {what} can no longer change.")


@transaction.atomic
def save_questions(
    *, by: User, campaign: Campaign, rows: list[QuestionRow], include_nps: bool, include_csat: bool
) -> list[CampaignQuestion]:
    """Replace the campaign's questions (in the order given) and its NPS/CSAT choice, while it is a draft.

    Raises RuleViolation when it was sent, the person does not manage it, or no question is left.
    """
    _require_manager(by, campaign.department)
    _require_draft(Campaign.objects.select_for_update().get(pk=campaign.pk), "questions")
    rows = [r for r in rows if r.promise.strip()]
    if not rows:
        raise RuleViolation("A campaign needs at least one question: keep or add a promise to ask about.")
    # A question keeps its criterion only if it is one of the asked version's: the id comes back from the page.
    criteria = set(campaign.version.criteria.values_list("pk", flat=True))
    campaign.questions.all().delete()
    questions = CampaignQuestion.objects.bulk_create(
        [
            CampaignQuestion(
                campaign=campaign,
                position=i,
                criterion_id=r.criterion_id if r.criterion_id in criteria else None,
                promise=r.promise.strip(),
                prompt=r.prompt.strip() or DEFAULT_PROMPT,
            )
            for i, r in enumerate(rows)
        ]
    )
    Campaign.objects.filter(pk=campaign.pk).update(include_nps=include_nps, include_csat=include_csat)
    campaign.include_nps, campaign.include_csat = include_nps, include_csat
    return questions


@transaction.atomic
def send_campaign(*, by: User, campaign: Campaign) -> int:
    """Mark a drawn draft campaign as sent; the invitations go out from customers.tasks (nudged on commit and
    caught up by beat). Returns the number of recipients.

    Raises RuleViolation when it is not a draft, has no questions, was not drawn, drew nobody, or has ended.
    """
    from customers.tasks import send_invitations_and_reminders

    _require_manager(by, campaign.department)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _require_draft(campaign, "recipients")
    if not campaign.questions.exists():
        raise RuleViolation("This campaign has no questions. Add at least one before sending it.")
    if campaign.drawn_at is None:
        raise RuleViolation("Draw the sample before sending: nobody has been chosen yet.")
    recipients = campaign.recipients.count()
    if not recipients:
        raise RuleViolation("The sample is empty; there is nobody to send to.")
    if campaign.ends_on < periods.today():
        raise RuleViolation(f"The campaign ended on {campaign.ends_on:%d %b %Y}; it can no longer be sent.")
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENT)
    best_effort.enqueue_on_commit(send_invitations_and_reminders)
    return recipients


def close_campaign(*, campaign: Campaign, at: datetime | None = None) -> int | None:
    """Close a sent campaign and record its scores (gap, NPS, CSAT) as metric readings: the one way a campaign
    closes, whether beat closes it after its end date or the demo does.

    The claim is a conditional UPDATE (sent -> closed) in the transaction that records the scores: of two runs
    (a repeated or retried task, two workers) exactly one updates the row and records; the other returns None and
    records nothing. A failure other than a refused reading rolls the close back, so the next run tries again.
    Returns how many readings were recorded, or None when the campaign was not open (a draft, or closed already).
    """
    from customers.services.results import announce_campaign_closed, on_campaign_closed

    at = at or timezone.now()
    with transaction.atomic():
        if not Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENT).update(
            status=Campaign.Status.CLOSED, closed_at=at
        ):
            return None
        campaign.status, campaign.closed_at = Campaign.Status.CLOSED, at
        try:
            with transaction.atomic():
                recorded = on_campaign_closed(campaign)
        except RuleViolation as error:  # nobody may record them (e.g. a closed period and no admin): closed anyway
            log.warning("Campaign %s closed without recording its scores: %s", campaign.pk, error)
            recorded = 0
        announce_campaign_closed(campaign)
        return recorded


def close_ended_campaigns(*, today: date | None = None) -> int:
    """Close every sent campaign whose end date has passed, each through close_campaign; returns how many this run
    closed (0 on a second run)."""
    today = today or periods.today()
    ended = Campaign.objects.ended_before(today).order_by("pk")
    closed = 0
    for campaign in ended.select_related("department", "created_by"):
        closed += close_campaign(campaign=campaign) is not None
    return closed
