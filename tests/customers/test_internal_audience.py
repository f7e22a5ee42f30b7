"""Internal campaigns ask colleagues of the customer department as it is now: someone who left or moved out after
the draw is neither invited, reminded, nor able to answer."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer, Recipient
from customers.services import invitations
from customers.tokens import new_token
from outbox.models import OutgoingEmail
from tests.customers.factories import make_campaign, make_customer


@pytest.fixture
def recipients(org):
    """Sales asks its internal customer Support: alice and bob (Front Line, below Support) were drawn."""
    campaign = make_campaign(org.sales, questions=1, audience=Customer.Kind.INTERNAL)
    customer = make_customer(org.sales, internal_department=org.support)
    return {
        person.username: Recipient.objects.create(
            campaign=campaign,
            customer=customer,
            person=person,
            token_hash=f"drawn:{person.pk}",
            expires_at=timezone.now() + timedelta(days=14),
        )
        for person in (org.alice, org.bob)
    }


def mailed():
    return set(OutgoingEmail.objects.values_list("to", flat=True))


def test_it_invites_the_drawn_colleagues_still_in_the_customer_department(org, recipients):
    assert invitations.send_invitations() == 2
    assert mailed() == {org.alice.email, org.bob.email}


def test_a_colleague_who_moved_out_is_not_invited(org, recipients):
    org.bob.department = org.sales
    org.bob.save()
    assert invitations.send_invitations() == 1
    assert mailed() == {org.alice.email}


def test_a_colleague_who_left_is_not_invited(org, recipients):
    org.bob.is_active = False
    org.bob.save()
    assert invitations.send_invitations() == 1
    assert mailed() == {org.alice.email}


def test_a_colleague_who_moved_out_after_the_invitation_is_not_reminded(org, recipients):
    invitations.send_invitations()
    org.bob.department = org.sales
    org.bob.save()
    assert invitations.send_reminders(now=timezone.now() + timedelta(days=4)) == 1
    assert not OutgoingEmail.objects.filter(to=org.bob.email, subject__startswith="Reminder").exists()


def test_a_colleague_who_moved_out_can_no_longer_answer(client, org, recipients):
    token, token_hash = new_token()
    Recipient.objects.filter(pk=recipients["bob"].pk).update(token_hash=token_hash, sent_at=timezone.now())
    org.bob.department = org.sales
    org.bob.save()
    response = client.get(reverse("respond:answer", args=[token]))
    assert response.status_code == 410
    assert "a department you no longer belong to" in response.content.decode()


def test_a_colleague_still_in_the_department_can_answer(client, org, recipients):
    token, token_hash = new_token()
    Recipient.objects.filter(pk=recipients["bob"].pk).update(token_hash=token_hash, sent_at=timezone.now())
    assert client.get(reverse("respond:answer", args=[token])).status_code == 200
