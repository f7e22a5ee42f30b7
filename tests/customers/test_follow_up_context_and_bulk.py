"""A follow-up shows what opened it; managers assign and close several at once, after one confirmation, and only
their own departments'."""

import pytest
from django.urls import reverse

from core.exceptions import RuleViolation
from customers.models import INTERNAL_MINIMUM, FollowUp
from customers.services import results as services
from tests.customers.factories import make_campaign, make_customer, respond
from tests.org.factories import UserFactory


@pytest.fixture
def campaign(org):
    return make_campaign(org.support, questions=3)


def test_the_page_shows_the_comment_the_low_answers_and_the_campaign(client, org, campaign):
    respond(campaign, [], ratings=[2, 4, 1], nps=3, comment="Nobody called me back.")
    follow_up = FollowUp.objects.get()
    client.force_login(org.alice)
    page = client.get(reverse("customers:follow_up", args=[follow_up.pk])).content.decode()
    promises = [q.promise for q in campaign.questions.order_by("position")]
    low = page.split("data-low-answers")[1].split("</ul>")[0]
    assert promises[0] in low and promises[2] in low and promises[1] not in low
    assert "Nobody called me back." in page and "Would recommend us: 3 of 10" in page
    assert campaign.title in page and campaign.version.promise in page


def test_an_internal_colleague_stays_unnamed_once_shown(client, org):
    campaign = make_campaign(org.support, audience="internal")
    customer = make_customer(org.sales, internal_department=org.support)
    respond(campaign, ["worse", "worse"], customer=customer, person=org.bob, comment="Slow handovers.")
    follow_up = FollowUp.objects.get()
    client.force_login(org.alice)
    assert client.get(reverse("customers:follow_up", args=[follow_up.pk])).status_code == 404  # below the minimum
    for _n in range(INTERNAL_MINIMUM - 1):
        respond(campaign, ["as_promised", "as_promised"], customer=customer, person=UserFactory(department=org.support))
    page = client.get(reverse("customers:follow_up", args=[follow_up.pk])).content.decode()
    assert "Slow handovers." in page and "an anonymous colleague" in page
    context = page.split("data-context")[1].split("</section>")[0]
    assert "Bob" not in context and "Answered " not in context


@pytest.fixture
def three(org, campaign):
    """Two follow-ups of Support (alice manages it) and one of Sales (charlie's)."""
    respond(campaign, ["worse", "worse", "worse"])
    respond(campaign, ["worse", "as_promised", "as_promised"])
    sales = make_campaign(org.sales, questions=1)
    respond(sales, ["worse"])
    support_ones = list(FollowUp.objects.filter(department=org.support).order_by("pk"))
    return support_ones, FollowUp.objects.get(department=org.sales)


def _bulk(client, ids, **data):
    return client.post(reverse("customers:follow_up_bulk"), {"ids": [f.pk for f in ids], **data})


def test_bulk_close_asks_once_then_closes_with_the_note(client, org, three):
    support_ones, sales_one = three
    client.force_login(org.alice)
    chosen = [*support_ones, sales_one]
    page = _bulk(client, chosen, action="close", resolution="Called everyone back.").content.decode()
    assert "Close 2 follow-ups?" in page and "Support" in page and "leave 1 chosen one alone" in page
    assert FollowUp.objects.open().count() == 3  # asking changed nothing
    response = _bulk(client, chosen, action="close", resolution="Called everyone back.", confirmed="1")
    assert response.status_code == 302
    closed = FollowUp.objects.closed()
    assert sorted(closed.values_list("pk", flat=True)) == [f.pk for f in support_ones]
    assert set(closed.values_list("resolution", flat=True)) == {"Called everyone back."}
    assert all(closed.values_list("closed_at", flat=True))
    assert FollowUp.objects.get(pk=sales_one.pk).status == "open"  # another department's: ignored


def test_bulk_assign_makes_a_colleague_the_owner(client, org, three):
    support_ones, _sales_one = three
    client.force_login(org.alice)
    page = _bulk(client, support_ones, action="assign", owner=org.bob.pk).content.decode()
    assert "Assign 2 follow-ups?" in page and "Bob Baker" in page
    _bulk(client, support_ones, action="assign", owner=org.bob.pk, confirmed="1")
    assert set(FollowUp.objects.filter(department=org.support).values_list("owner", flat=True)) == {org.bob.pk}


def test_closing_in_bulk_needs_a_note(client, org, three):
    client.force_login(org.alice)
    _bulk(client, three[0], action="close", resolution="  ", confirmed="1")
    assert FollowUp.objects.closed().count() == 0
    with pytest.raises(RuleViolation):
        services.bulk_change_follow_ups(by=org.alice, ids=[f.pk for f in three[0]], action="close", resolution="")


def test_another_managers_follow_ups_are_ignored(client, org, three):
    _support_ones, sales_one = three
    client.force_login(org.alice)
    _bulk(client, [sales_one], action="close", resolution="Not mine", confirmed="1")
    assert FollowUp.objects.get(pk=sales_one.pk).status == "open"
    outcome = services.bulk_change_follow_ups(by=org.charlie, ids=[f.pk for f in three[0]], action="close",
                                              resolution="x")  # fmt: skip
    assert (outcome.changed, outcome.skipped) == (0, 2)


def test_an_owner_outside_the_department_is_refused(org, three):
    outcome = services.bulk_change_follow_ups(
        by=org.admin, ids=[f.pk for f in three[0]], action="assign", owner=org.charlie
    )
    assert outcome.changed == 0
    assert not FollowUp.objects.filter(department=org.support, owner=org.charlie).exists()


def test_employees_cannot_change_follow_ups_in_bulk(client, org, three):
    client.force_login(org.bob)
    assert _bulk(client, three[0], action="close", resolution="x", confirmed="1").status_code == 404
    assert FollowUp.objects.closed().count() == 0


@pytest.mark.parametrize("ids", [["abc"], ["99999999999999999999999"], []])
def test_nonsense_ids_change_nothing_and_say_so(client, org, three, ids):
    client.force_login(org.alice)
    response = client.post(
        reverse("customers:follow_up_bulk"), {"ids": ids, "action": "close", "resolution": "x", "confirmed": "1"}
    )
    assert response.status_code == 302 and FollowUp.objects.closed().count() == 0


def test_the_list_offers_the_bulk_form_to_managers_only(client, org, three):
    client.force_login(org.alice)
    assert "data-bulk" in client.get(reverse("customers:follow_ups")).content.decode()
    FollowUp.objects.filter(department=org.support).update(owner=org.bob)
    client.force_login(org.bob)
    page = client.get(reverse("customers:follow_ups")).content.decode()
    assert "data-follow-up" in page and "data-bulk" not in page
