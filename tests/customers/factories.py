"""Factories for customers and campaigns (reality checks)."""

from datetime import timedelta

import factory
from django.utils import timezone

from customers.models import Campaign, CampaignQuestion, Customer
from goals.models import AcceptanceCriterion, DefinitionVersion
from tests.goals.factories import QualityDefinitionFactory


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    segment = "retail"


def published_definition(*, department, criteria=("Reply within a day", "Fix it the first time")):
    """A definition of the department with a published v1.0 and these criteria."""
    definition = QualityDefinitionFactory(department=department)
    version = DefinitionVersion.objects.create(definition=definition, major=1, minor=0,
                                               promise="We answer fast and fix it once.",
                                               published_at=timezone.now())
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
            CampaignQuestion.objects.bulk_create([
                CampaignQuestion(campaign=self, position=c.position, criterion=c, promise=c.text,
                                 prompt="How did it compare?") for c in self.version.criteria.all()])
