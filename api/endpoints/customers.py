"""Campaign results (with the anonymity minimum), follow-ups and their status, and customers upserted by e-mail:
the customers app's selectors and services, with the same access rules as its pages."""

from datetime import date, datetime
from typing import Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from ninja import Query, Router, Schema, Status
from pydantic import Field, field_validator

from api.auth import require_write
from api.pagination import PageQuery, page
from api.problems import Problem
from api.schemas import READ_ERRORS, WRITE_ERRORS
from core import dates
from core.exceptions import RuleViolation
from customers.models import Customer, FollowUp
from customers.selectors import results
from customers.selectors.visibility import visible_campaigns, visible_follow_ups
from customers.services import campaigns as campaign_services
from customers.services import results as result_services
from org import access

router = Router(tags=["customers"])


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character; remove it")
    return value


class CampaignOut(Schema):
    id: int
    title: str
    department_id: int
    definition_id: int
    audience: str
    status: str
    starts_on: date
    ends_on: date


class CampaignPage(Schema):
    items: list[CampaignOut]
    next_cursor: str | None


def campaign_out(c) -> dict:
    return {
        "id": c.pk,
        "title": c.title,
        "department_id": c.department_id,
        "definition_id": c.definition_id,
        "audience": c.audience,
        "status": c.status,
        "starts_on": c.starts_on,
        "ends_on": c.ends_on,
    }


@router.get("/campaigns", response={200: CampaignPage, **READ_ERRORS}, operation_id="list_campaigns")
def list_campaigns(request, filters: Query[PageQuery]):
    """Reality-check campaigns of the departments the token's user manages."""
    items, cursor = page(visible_campaigns(request.user), filters)
    return {"items": [campaign_out(c) for c in items], "next_cursor": cursor}


class QuestionResultOut(Schema):
    question_id: int
    promise: str
    criterion_id: int | None
    answers: int
    worse: int
    as_promised: int
    better: int
    gap: float | None = Field(description="Share worse minus share better, in points; lower is better.")
    mean_rating: float | None


class ResultsOut(Schema):
    campaign: CampaignOut
    responses: int
    hidden: bool = Field(description="An internal campaign below the anonymity minimum: nothing else is shown.")
    minimum: int
    gap: float | None
    nps: float | None
    csat: float | None
    questions: list[QuestionResultOut]
    comments: list[str]
    open_follow_ups: int


@router.get(
    "/campaigns/{int:campaign_id}/results", response={200: ResultsOut, **READ_ERRORS}, operation_id="campaign_results"
)
def campaign_results(request, campaign_id: int):
    """A campaign's results as its page shows them. Below the anonymity minimum (internal campaigns) only the
    number of responses is given: no figure, comment or date derived from the answers leaves the database."""
    campaign = access.get_visible_or_404(visible_campaigns(request.user), "No such campaign.", pk=campaign_id)
    found = results.campaign_results(campaign, with_trend=False)
    return {
        "campaign": campaign_out(campaign),
        "responses": found.responses,
        "hidden": found.hidden,
        "minimum": found.minimum,
        "gap": found.gap,
        "nps": found.nps,
        "csat": found.csat,
        "questions": [
            {
                "question_id": q.question_id,
                "promise": q.promise,
                "criterion_id": q.criterion_id,
                "answers": q.n,
                "worse": q.worse,
                "as_promised": q.as_promised,
                "better": q.better,
                "gap": q.gap,
                "mean_rating": q.mean_rating,
            }
            for q in found.questions
        ],
        "comments": found.comments,
        "open_follow_ups": found.open_follow_ups,
    }


class FollowUpOut(Schema):
    id: int
    campaign_id: int
    department_id: int
    reason: str
    owner_id: int | None
    due_date: date | None
    status: str
    resolution: str
    created_at: datetime
    closed_at: datetime | None


class FollowUpPage(Schema):
    items: list[FollowUpOut]
    next_cursor: str | None


class FollowUpFilters(PageQuery):
    status: Literal["open", "closed", "all"] = "open"
    campaign: int | None = Field(None, ge=1, le=2**62)
    mine: bool = False


def follow_up_out(f: FollowUp) -> dict:
    return {
        "id": f.pk,
        "campaign_id": f.campaign_id,
        "department_id": f.department_id,
        "reason": f.reason,
        "owner_id": f.owner_id,
        "due_date": f.due_date,
        "status": f.status,
        "resolution": f.resolution,
        "created_at": f.created_at,
        "closed_at": f.closed_at,
    }


@router.get("/follow-ups", response={200: FollowUpPage, **READ_ERRORS}, operation_id="list_follow_ups")
def list_follow_ups(request, filters: Query[FollowUpFilters]):
    """Follow-ups the token's user may see (their departments', and those assigned to them), none of an internal
    campaign below the anonymity minimum."""
    follow_ups, _stats = results.listed_follow_ups(
        request.user, campaign_id=filters.campaign, mine=filters.mine, status=filters.status
    )
    items, cursor = page(follow_ups, filters)
    return {"items": [follow_up_out(f) for f in items], "next_cursor": cursor}


class FollowUpChange(Schema):
    status: Literal["open", "in_progress", "closed"]
    resolution: str = Field("", max_length=5000, description="Required to close: what was done.")
    owner_id: int | None = Field(None, ge=1, le=2**62, description="Default: unchanged.")
    due_date: date | None = Field(None, description="Default: unchanged.")

    _nul = field_validator("resolution")(_no_nul)


@router.patch(
    "/follow-ups/{int:follow_up_id}", response={200: FollowUpOut, **WRITE_ERRORS}, operation_id="update_follow_up"
)
def update_follow_up(request, follow_up_id: int, payload: FollowUpChange):
    """Change a follow-up's status (closing needs a resolution), and optionally its owner and due date."""
    require_write(request)
    follow_up = access.get_visible_or_404(
        visible_follow_ups(request.user).select_related("department", "owner"), "No such follow-up.", pk=follow_up_id
    )
    owner = follow_up.owner
    if payload.owner_id is not None:
        owner = access.get_visible_or_404(
            access.visible_people(request.user).select_related("department"), "No such person.", pk=payload.owner_id
        )
    due = payload.due_date if payload.due_date is not None else follow_up.due_date
    if dates.problem(due):
        raise Problem(422, dates.problem(due))
    updated = result_services.update_follow_up(
        follow_up=follow_up,
        by=request.user,
        owner=owner,
        due_date=due,
        status=payload.status,
        resolution=payload.resolution,
    )
    return follow_up_out(updated)


class CustomerIn(Schema):
    email: str = Field(min_length=3, max_length=254, description="Customers are matched by e-mail (per department).")
    name: str = Field(min_length=1, max_length=200)
    segment: str = Field("", max_length=60)
    products: str = Field("", max_length=300)

    _nul = field_validator("email", "name", "segment", "products")(_no_nul)


class CustomerOut(Schema):
    id: int
    department_id: int
    email: str
    name: str
    segment: str
    products: str
    created: bool


def _existing_customer(department, email: str) -> Customer | None:
    return Customer.objects.filter(
        department=department, kind=Customer.Kind.EXTERNAL, email__iexact=email.strip()
    ).first()


@router.put(
    "/departments/{int:department_id}/customers",
    response={200: CustomerOut, 201: CustomerOut, **WRITE_ERRORS},
    operation_id="upsert_customer",
)
def upsert_customer(request, department_id: int, payload: CustomerIn):
    """Add an external customer to a department's list, or update the one with this e-mail address (managers of
    the department). 201 when added, 200 when updated."""
    require_write(request)
    department = access.department_for(request.user, department_id, manage=True)
    try:
        validate_email(payload.email.strip())
    except DjangoValidationError:
        raise Problem(
            422,
            f"“{payload.email}” is not an e-mail address.",
            errors=[{"pointer": "/email", "field": "email", "index": None, "detail": "Enter a valid e-mail address."}],
        ) from None
    existing = _existing_customer(department, payload.email)
    fields = {"name": payload.name, "email": payload.email, "segment": payload.segment, "products": payload.products}
    if existing is None:
        try:
            customer = campaign_services.add_customer(by=request.user, department=department, **fields)
        except RuleViolation:
            # Another request added the same address between the look-up and the insert: this one updates it,
            # as it would have a moment later (an upsert must not fail because a twin of it was faster).
            existing = _existing_customer(department, payload.email)
            if existing is None:
                raise
    if existing is not None:
        customer = campaign_services.update_customer(by=request.user, customer=existing, **fields)
    out = {
        "id": customer.pk,
        "department_id": department.pk,
        "email": customer.email,
        "name": customer.name,
        "segment": customer.segment,
        "products": customer.products,
        "created": existing is None,
    }
    return Status(201 if existing is None else 200, out)
