"""Who must acknowledge a definition follows the organization as it is now: people who join or move in are asked,
people who leave or move out are neither asked nor counted (their history stays)."""

from datetime import timedelta

import pytest
from django.urls import reverse

from core.exceptions import RuleViolation
from goals.models import Acknowledgement
from goals.services import definitions
from goals.services.definitions import CriterionRow
from outbox.models import OutgoingEmail
from tests.helpers import TEST_NOW as NOW
from tests.org.factories import DepartmentFactory, UserFactory


@pytest.fixture
def tickets(org):
    definition = definitions.create_definition(
        by=org.alice,
        department=org.support,
        title="Support tickets",
        promise="We reply quickly.",
        criteria=[CriterionRow(text="First reply within 4 hours")],
    )
    definitions.publish(definition=definition, major=True, change_summary="", by=org.alice, at=NOW - timedelta(days=10))
    return definition


def pending_titles(person):
    return [a.definition.title for a in definitions.pending_acknowledgements(person)]


def counted(definition):
    """{department name: (asked, acknowledged)} from the coverage page's figures."""
    return {r.name: (r.asked, r.acknowledged) for r in definitions.coverage(definition=definition, major=1)}


def reminded(person, days_later):
    definitions.send_reminders(now=NOW + timedelta(days=days_later))
    return OutgoingEmail.objects.filter(to=person.email).exists()


# --- join --------------------------------------------------------------------------------------------------------


def test_a_person_who_joins_the_department_after_publication_is_asked(org, tickets):
    newcomer = UserFactory(username="nina", department=org.front_line)
    assert pending_titles(newcomer) == ["Support tickets"]
    assert counted(tickets)["Front Line"] == (2, 0)
    assert reminded(newcomer, days_later=0) is False  # asked now: the first reminder waits its delay
    assert reminded(newcomer, days_later=4) is True
    definitions.acknowledge(definition=tickets, person=newcomer)
    assert counted(tickets)["Front Line"] == (2, 1)


def test_a_person_who_joins_sees_the_acknowledge_button(client, org, tickets):
    newcomer = UserFactory(username="nina", department=org.support)
    client.force_login(newcomer)
    html = client.get(reverse("goals:definition", args=[tickets.pk])).content.decode()
    assert "Please read and acknowledge version 1" in html
    response = client.post(reverse("goals:definition_acknowledge", args=[tickets.pk]), follow=True)
    assert "you acknowledged “Support tickets” version 1" in response.content.decode()


def test_a_person_who_joins_is_listed_on_today(client, org, tickets):
    newcomer = UserFactory(username="nina", department=org.support)
    client.force_login(newcomer)
    assert f'id="to-acknowledge-{tickets.pk}"' in client.get(reverse("today")).content.decode()


# --- move in -----------------------------------------------------------------------------------------------------


def test_a_person_who_moves_in_is_asked_and_counted(org, tickets):
    org.charlie.department = org.front_line
    org.charlie.save()
    assert pending_titles(org.charlie) == ["Support tickets"]
    assert counted(tickets)["Front Line"] == (2, 0)
    definitions.acknowledge(definition=tickets, person=org.charlie)  # no longer "concerns other departments"
    assert counted(tickets)["Front Line"] == (2, 1)


def test_a_person_who_moves_into_a_served_department_is_asked_when_served_departments_are(org):
    definition = definitions.create_definition(
        by=org.alice,
        department=org.support,
        title="Invoices",
        promise="Correct invoices.",
        criteria=[CriterionRow(text="No corrections")],
        served_departments=[org.sales],
        ask_served_departments=True,
    )
    definitions.publish(definition=definition, major=True, change_summary="", by=org.alice)
    newcomer = UserFactory(username="sam", department=DepartmentFactory(name="Other", parent=org.acme))
    assert pending_titles(newcomer) == []
    newcomer.department = DepartmentFactory(name="Key accounts", parent=org.sales)  # below a served department
    newcomer.save()
    assert pending_titles(newcomer) == ["Invoices"]


# --- move out ----------------------------------------------------------------------------------------------------


def test_a_person_who_moves_out_is_neither_asked_nor_counted(org, tickets):
    org.bob.department = org.sales
    org.bob.save()
    assert pending_titles(org.bob) == []
    assert "Front Line" not in counted(tickets)
    assert definitions.missing_acknowledgements(definition=tickets, major=1).filter(person=org.bob).count() == 0
    with pytest.raises(RuleViolation, match="concerns other departments"):
        definitions.acknowledge(definition=tickets, person=org.bob)
    assert reminded(org.bob, days_later=4) is False
    assert Acknowledgement.objects.filter(definition=tickets, person=org.bob).exists()  # history stays


def test_an_acknowledgement_given_before_moving_out_no_longer_counts(org, tickets):
    definitions.acknowledge(definition=tickets, person=org.bob)
    org.bob.department = org.sales
    org.bob.save()
    assert counted(tickets) == {"Support": (1, 1)}  # alice, who published it


def test_a_person_who_moves_out_has_no_acknowledge_button(client, org, tickets):
    org.bob.department = org.acme
    org.bob.save()
    client.force_login(org.bob)
    html = client.get(reverse("goals:definition", args=[tickets.pk])).content.decode()
    assert "Please read and acknowledge" not in html


# --- leave -------------------------------------------------------------------------------------------------------


def test_a_person_who_leaves_is_neither_asked_nor_counted(org, tickets):
    org.bob.is_active = False
    org.bob.save()
    assert "Front Line" not in counted(tickets)
    assert reminded(org.bob, days_later=4) is False
    assert definitions.missing_acknowledgements(definition=tickets, major=1).count() == 0


def test_the_coverage_page_counts_the_current_audience(client, org, tickets):
    UserFactory(username="nina", first_name="Nina", last_name="New", department=org.support)
    org.bob.is_active = False
    org.bob.save()
    client.force_login(org.alice)
    html = client.get(reverse("goals:definition_coverage", args=[tickets.pk])).content.decode()
    assert "Nina" in html and "Baker" not in html
