"""Factories for metrics, their targets and rollups."""

from datetime import UTC, date, datetime

import factory

from core import periods
from metrics.models import Metric, Rollup, Target
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


class RollupFactory(factory.django.DjangoModelFactory):
    """A bucket's statistics as the rollup stores them, one reading of `total` unless told otherwise."""

    class Meta:
        model = Rollup

    metric = factory.SubFactory(MetricFactory)
    period = periods.WEEK
    start = date(2026, 11, 2)
    owner_type = Rollup.DEPARTMENT
    owner_id = 1
    n = 1
    total = 1.0
    minimum = factory.SelfAttribute("total")
    maximum = factory.SelfAttribute("total")
    last_value = factory.SelfAttribute("total")
    last_at = datetime(2026, 11, 1, tzinfo=UTC)
    updated_at = datetime(2026, 11, 1, tzinfo=UTC)
