"""Factories for quality definitions and goals."""

import factory

from goals.models import AcceptanceCriterion, DefinitionVersion, QualityDefinition
from tests.org.factories import DepartmentFactory


class QualityDefinitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QualityDefinition
        skip_postgeneration_save = True

    department = factory.SubFactory(DepartmentFactory)
    title = factory.Sequence(lambda n: f"Service {n}")
    external_customers = "Online shoppers"


class DefinitionVersionFactory(factory.django.DjangoModelFactory):
    """A draft unless published_at is given."""

    class Meta:
        model = DefinitionVersion

    definition = factory.SubFactory(QualityDefinitionFactory)
    promise = factory.Sequence(lambda n: f"Promise number {n}: we answer every question within a day.")


class AcceptanceCriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AcceptanceCriterion

    version = factory.SubFactory(DefinitionVersionFactory)
    position = factory.Sequence(int)
    text = factory.Sequence(lambda n: f"Criterion {n}")
