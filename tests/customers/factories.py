"""Factories and one-line helpers of the customers app: customers and campaigns (reality checks); and campaigns,
links and answers for the answer page and results tests, created directly (no sampling or sending)."""

from datetime import date, timedelta
from itertools import count

import factory
from django.utils import timezone

from customers.models import Campaign, CampaignQuestion, Customer, Recipient
from customers.services import answers
from customers.tokens import new_token
from goals.models import AcceptanceCriterion, DefinitionVersion
from tests.goals.factories import AcceptanceCriterionFactory, DefinitionVersionFactory, QualityDefinitionFactory

# --- customers and campaigns ------------------------------------------------------------------------------------------


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    segment = "retail"


def published_definition(*, department, criteria=("Reply within a day", "Fix it the first time")):
    """A definition of the department with a published v1.0 and these criteria."""
    definition = QualityDefinitionFactory(department=department)
    version = DefinitionVersion.objects.create(
        definition=definition, major=1, minor=0, promise="We answer fast and fix it once.", published_at=timezone.now()
    )
    for i, text in enumerate(criteria):
        AcceptanceCriterion.objects.create(version=version, position=i, text=text)
    return definition


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign
        skip_postgeneration_save = True

    department = None
    definition = factory.LazyAttribute(lambda c: published_definition(department=c.department))
    version = factory.LazyAttribute(lambda c: c.definition.versions.first())
    title = factory.Sequence(lambda n: f"Reality check {n}")
    sample_size = 5
    starts_on = factory.LazyFunction(lambda: timezone.localdate())
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))

    @factory.post_generation
    def questions(self, create, extracted, **kwargs):
        """One question per criterion of the version, as create_campaign makes them."""
        if create and extracted is not False:
            CampaignQuestion.objects.bulk_create(
                [
                    CampaignQuestion(
                        campaign=self, position=c.position, criterion=c, promise=c.text, prompt="How did it compare?"
                    )
                    for c in self.version.criteria.all()
                ]
            )


# --- answered campaigns, made directly --------------------------------------------------------------------------------

_serial = count(1)


def make_campaign(
    department,
    *,
    questions: int = 2,
    audience: str = Customer.Kind.EXTERNAL,
    status: str = Campaign.Status.SENT,
    include_nps: bool = True,
    include_csat: bool = True,
    definition=None,
    ends_on: date | None = None,
    title: str | None = None,
) -> Campaign:
    """A sent campaign about a published definition of the department, one question per criterion."""
    definition = definition or QualityDefinitionFactory(department=department, title=f"Service {next(_serial)}")
    version = definition.versions.filter(published_at__isnull=False).order_by("-major", "-minor").first()
    if version is None:
        version = DefinitionVersionFactory(
            definition=definition,
            major=1,
            published_at=timezone.now(),
            promise="We answer every ticket within one working day, politely.",
        )
        for n in range(questions):
            AcceptanceCriterionFactory(version=version, position=n, text=f"Promise {n + 1} of {definition.title}")
    ends_on = ends_on or timezone.localdate() + timedelta(days=14)
    campaign = Campaign.objects.create(
        department=department,
        definition=definition,
        version=version,
        title=title or f"Reality check {next(_serial)}",
        audience=audience,
        include_nps=include_nps,
        include_csat=include_csat,
        starts_on=ends_on - timedelta(days=28),
        ends_on=ends_on,
        status=status,
    )
    for n, criterion in enumerate(version.criteria.order_by("position")):
        CampaignQuestion.objects.create(
            campaign=campaign,
            position=n,
            criterion=criterion,
            promise=criterion.text,
            prompt="How did your experience compare with this promise?",
        )
    return campaign


def make_customer(department, *, internal_department=None, name: str | None = None) -> Customer:
    if internal_department is not None:
        return Customer.objects.get_or_create(
            department=department,
            internal_department=internal_department,
            defaults={"kind": Customer.Kind.INTERNAL, "name": internal_department.name},
        )[0]
    n = next(_serial)
    return Customer.objects.create(
        department=department, name=name or f"Customer {n}", email=f"customer{n}@example.com"
    )


def make_recipient(campaign, *, customer=None, person=None, expires_in_days: int = 14) -> tuple[Recipient, str]:
    """A recipient with a fresh link; returns (recipient, token)."""
    token, token_hash = new_token()
    customer = customer or make_customer(campaign.department)
    recipient = Recipient.objects.create(
        campaign=campaign,
        customer=customer,
        person=person,
        token_hash=token_hash,
        expires_at=timezone.now() + timedelta(days=expires_in_days),
        sent_at=timezone.now(),
    )
    return recipient, token


def respond(
    campaign,
    comparisons: list[str],
    *,
    ratings: list[int] | None = None,
    nps=None,
    csat=None,
    comment: str = "",
    customer=None,
    person=None,
):
    """One submitted response through the answers service, in question order: each a side of the promise ("worse",
    "as_promised", "better", rated 2, 4 and 6 on the one scale) or, with `ratings`, the 1-7 ratings themselves."""
    questions = list(campaign.questions.all())
    default = {"worse": 2, "as_promised": 4, "better": 6}
    ratings = ratings or [default[c] for c in comparisons]
    recipient, _token = make_recipient(campaign, customer=customer, person=person)
    status = campaign.status
    if status != Campaign.Status.SENT:  # answers arrive while a campaign is sent; closed ones had them earlier
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENT)
        campaign.status = Campaign.Status.SENT
    rows = [answers.AnswerRow(question=q, rating=r) for q, r in zip(questions, ratings, strict=True)]
    response = answers.submit(recipient=recipient, answers=rows, comment=comment, nps=nps, csat=csat)
    if status != Campaign.Status.SENT:
        Campaign.objects.filter(pk=campaign.pk).update(status=status)
        campaign.status = status
    return response
