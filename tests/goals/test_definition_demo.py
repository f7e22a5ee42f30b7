"""The demo's quality definitions: two versions each, partly acknowledged, the same again on a second run."""

import random

import pytest

from goals.demo import seed_definitions
from goals.models import AcceptanceCriterion, Acknowledgement, DefinitionVersion, QualityDefinition
from goals.services import definitions
from org.demo import seed_organization
from org.models import Department, User
from tests.metrics.factories import MetricFactory


@pytest.fixture
def demo(db):
    seed_organization(rng=random.Random("7:organization"), size="small")
    service = Department.objects.get(code="customer-service")
    MetricFactory(department=service, code="first-reply-time", name="First reply time", unit="h", direction="lower")
    MetricFactory(department=service, code="first-contact-resolution", name="First-contact resolution")
    return seed_definitions(rng=random.Random("7:definitions"), size="small")


def snapshot():
    return (
        list(QualityDefinition.objects.order_by("pk").values_list("title", "department__code", "retired_at")),
        list(
            DefinitionVersion.objects.order_by("pk").values_list(
                "definition__title", "major", "minor", "published_at", "promise"
            )
        ),
        list(AcceptanceCriterion.objects.order_by("pk").values_list("text", "metric__code", "threshold")),
        list(
            Acknowledgement.objects.order_by("pk").values_list(
                "definition__title", "major", "person__username", "requested_at", "acknowledged_at"
            )
        ),
    )


def test_it_adds_four_definitions_with_two_published_versions_each(demo):
    assert demo.startswith("definitions: 4 definitions (4 new)")
    labels = {d.title: [v.label for v in definitions.versions_of(d)] for d in QualityDefinition.objects.all()}
    assert labels == {
        "Support tickets": ["v2.0", "v1.0"],
        "Service desk": ["v1.1", "v1.0"],
        "Order delivery": ["v2.0", "v1.0"],
        "Invoicing": ["v1.1", "v1.0"],
    }


def test_criteria_link_the_demo_metrics_that_exist(demo):
    support = definitions.current_version(QualityDefinition.objects.get(title="Support tickets"))
    linked = [(c.metric.code if c.metric else None, c.threshold) for c in support.criteria.all()]
    assert linked == [("first-reply-time", 4), ("first-contact-resolution", 78), (None, None)]  # no csat metric


def test_the_current_versions_are_partly_acknowledged(demo):
    for definition in QualityDefinition.objects.all():
        major = definitions.current_version(definition).major
        rows = Acknowledgement.objects.filter(definition=definition, major=major)
        acknowledged = rows.filter(acknowledged_at__isnull=False).count()
        assert 0 < acknowledged < rows.count(), definition.title


def test_the_service_desk_asks_the_departments_it_serves(demo):
    desk = QualityDefinition.objects.get(title="Service desk")
    asked = set(Acknowledgement.objects.filter(definition=desk).values_list("person__department__path", flat=True))
    service = Department.objects.get(code="customer-service")
    assert any(path.startswith(service.path) for path in asked)


def test_the_demo_employee_has_definitions_to_acknowledge(demo):
    employee = User.objects.get(username="employee")
    pending = {a.definition.title for a in definitions.pending_acknowledgements(employee)}
    assert {"Support tickets", "Service desk"} <= pending


def test_a_second_run_changes_nothing(demo):
    first = snapshot()
    summary = seed_definitions(rng=random.Random("7:definitions"), size="small")
    assert "(0 new)" in summary
    assert snapshot() == first


def test_no_acknowledgement_is_asked_or_due_before_its_version_was_published(demo):
    from django.db.models import Min
    from django.utils import timezone

    published = {
        (row["definition"], row["major"]): row["first"]
        for row in DefinitionVersion.objects.filter(published_at__isnull=False)
        .values("definition", "major")
        .annotate(first=Min("published_at"))
    }
    first_delay, _interval = definitions.reminder_delays()
    rows = list(Acknowledgement.objects.all())
    assert rows
    for row in rows:
        first = published[(row.definition_id, row.major)]
        assert row.requested_at >= first, row
        assert row.acknowledged_at is None or row.requested_at <= row.acknowledged_at <= timezone.now(), row
        assert row.reminded_at is None or row.reminded_at >= row.requested_at + first_delay, row
