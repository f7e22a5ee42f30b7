"""Who a refresher programme asks follows the organization as it is now: people who join or move into its
departments are asked, people who leave or move out are neither asked nor
counted, in the due states, the compliance report and the invitations to sessions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reviews.models import Invitation, ReviewSession
from reviews.selectors import compliance
from reviews.services import training
from tests.goals.factories import QualityDefinitionFactory
from tests.org.factories import UserFactory
from tests.reviews.factories import RefresherProgrammeFactory, publish_version, started


@pytest.fixture
def definition(org):
    definition = QualityDefinitionFactory(department=org.support, title="Support tickets")
    publish_version(definition, major=1, days_ago=400)
    started(
        RefresherProgrammeFactory(definitions=[definition], departments=[org.support], every_months=12), days_ago=300
    )
    return definition


def people():
    return {s.username: s.state for s in training.due_states()}


def test_a_person_who_joins_is_asked_and_counted(org, definition):
    UserFactory(username="nina", department=org.front_line)
    assert "nina" in people()
    assert "nina" in {row.username for row in compliance.build_report(user=org.alice).rows}


def test_a_person_who_moves_in_is_asked_and_counted(org, definition):
    org.charlie.department = org.support
    org.charlie.save()
    assert "charlie" in people()
    report = compliance.build_report(user=org.admin)
    assert "charlie" in {row.username for row in report.rows}


def test_a_person_who_moves_out_is_neither_asked_nor_counted(org, definition):
    org.bob.department = org.sales
    org.bob.save()
    assert "bob" not in people()
    assert "bob" not in {row.username for row in compliance.build_report(user=org.admin).rows}


def test_a_person_who_leaves_is_neither_asked_nor_counted(org, definition):
    org.bob.is_active = False
    org.bob.save()
    assert "bob" not in people()
    assert compliance.build_report(user=org.alice).total == 1  # alice only


def test_only_the_current_audience_is_invited_to_a_refresher_session(org, definition):
    session = ReviewSession.objects.create(
        title="Refresher",
        starts_at=timezone.now() + timedelta(days=7),
        duration_minutes=60,
        facilitator=org.alice,
        time_zone="Europe/Paris",
    )
    session.definitions.add(definition)
    org.bob.is_active = False
    org.bob.save()
    org.charlie.department = org.front_line
    org.charlie.save()
    training.invite_due()
    assert set(Invitation.objects.filter(session=session).values_list("person__username", flat=True)) == {
        "alice",
        "charlie",
    }
