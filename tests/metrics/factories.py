"""Factories for metrics and their targets."""

import factory

from metrics.models import Metric, Target
from tests.org.factories import DepartmentFactory


class MetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Metric

    department = factory.SubFactory(DepartmentFactory)
    name = factory.Sequence(lambda n: f"Metric {n}")
    code = factory.Sequence(lambda n: f"metric-{n}")
    unit = "%"
    direction = Metric.Direction.HIGHER
    aggregation = Metric.Aggregation.MEAN
    owner_kind = Metric.Owner.PERSON


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    metric = factory.SubFactory(MetricFactory)
    target = 90
    warning = 80
