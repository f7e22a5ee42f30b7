"""Factories and one-line helpers of the goals app: quality definitions with their versions and criteria; goal
cycles, goals, alignments, milestones and check-ins."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import factory

from core import periods
from goals.models import (
    AcceptanceCriterion,
    Alignment,
    CheckIn,
    DefinitionVersion,
    Goal,
    GoalCycle,
    KeyResult,
    QualityDefinition,
)
from goals.services.goals import GoalData, KeyResultData
from metrics.models import Reading
from metrics.services import rollups
from metrics.services.readings import ReadingRow, record_readings
from tests.org.factories import DepartmentFactory

# --- quality definitions ----------------------------------------------------------------------------------------------


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


# --- goals ------------------------------------------------------------------------------------------------------------

UTC = ZoneInfo("UTC")


def this_year() -> int:
    return periods.today().year


class GoalCycleFactory(factory.django.DjangoModelFactory):
    """The current calendar year unless told otherwise, so pages pick it as the cycle running today."""

    class Meta:
        model = GoalCycle
        django_get_or_create = ("name",)

    name = factory.LazyAttribute(lambda c: str(c.start.year))
    start = factory.LazyFunction(lambda: date(this_year(), 1, 1))
    end = factory.LazyAttribute(lambda c: date(c.start.year, 12, 31))


class GoalFactory(factory.django.DjangoModelFactory):
    """A goal that meets all five letters once it has a parent (organization goals need none)."""

    class Meta:
        model = Goal
        skip_postgeneration_save = True

    cycle = factory.SubFactory(GoalCycleFactory)
    department = None
    title = factory.Sequence(lambda n: f"Goal {n}")
    description = factory.LazyAttribute(lambda g: f"What will be different when “{g.title}” is done.")
    confidence = 7
    due_date = factory.LazyAttribute(lambda g: g.cycle.end)

    @factory.post_generation
    def parents(self, create, extracted, **kwargs):
        if create and extracted:
            Alignment.objects.bulk_create([Alignment(parent=p, child=self) for p in extracted])

    @factory.post_generation
    def milestones(self, create, extracted, **kwargs):
        """milestones=[("Title", weight, done_at or None), ...]"""
        if create and extracted:
            KeyResult.objects.bulk_create([KeyResult(goal=self, title=t, weight=w, done_at=d) for t, w, d in extracted])


class CheckInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckIn

    goal = factory.SubFactory(GoalFactory)
    author = factory.LazyAttribute(lambda c: c.goal.owner)
    note = "Moving along."
    confidence = 7


def goal_data(**changes) -> GoalData:
    """A complete milestone goal's data, to be changed field by field."""
    values = dict(
        title="Answer faster",
        description="Customers get a first reply within four hours on every channel.",
        confidence=7,
        due_date=date(this_year(), 12, 31),
        key_results=[KeyResultData(title="Publish reply templates"), KeyResultData(title="Staff the evenings")],
    )
    values.update(changes)
    return GoalData(**values)


def record_weekly(org, metric, values, *, first: date, person=None):
    """One reading per week from `first` (a Monday), by bob unless told, then a rollup run."""
    person = person or org.bob
    rows = [
        ReadingRow(
            metric=metric,
            person=person if metric.per_person else None,
            measured_at=datetime.combine(first + timedelta(weeks=n), datetime.min.time(), UTC) + timedelta(hours=12),
            value=value,
        )
        for n, value in enumerate(values)
    ]
    record_readings(rows=rows, recorded_by=org.admin, source=Reading.Source.FORM)
    rollups.run()
