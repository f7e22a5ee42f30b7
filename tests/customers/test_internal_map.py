"""The internal customer map: who serves whom, each edge's latest satisfaction, weakest first, only what one may see."""

import pytest
from django.urls import reverse

from customers.models import Customer
from customers.selectors import results
from tests.customers.factories import make_campaign, make_customer, respond
from tests.org.factories import DepartmentFactory, UserFactory


@pytest.fixture
def edges(org):
    it = DepartmentFactory(name="IT", code="it", parent=org.acme)
    campaign = make_campaign(org.support, questions=1, audience=Customer.Kind.INTERNAL)
    served_sales = make_customer(org.support, internal_department=org.sales)
    served_front = make_customer(org.support, internal_department=org.front_line)
    make_customer(it, internal_department=org.sales)  # not asked yet
    for _ in range(5):
        respond(campaign, ["worse"], ratings=[2], customer=served_sales, person=UserFactory(department=org.sales))
    for _ in range(5):
        respond(campaign, ["better"], ratings=[6], customer=served_front, person=UserFactory(department=org.front_line))
    return campaign


def test_it_sorts_the_weakest_edge_first(org, edges):
    found = results.internal_map(org.admin)
    assert [(e.supplier.name, e.served.name, e.score) for e in found] == [
        ("Support", "Sales", 2.0),
        ("Support", "Front Line", 6.0),
        ("IT", "Sales", None),
    ]


def test_a_score_needs_five_answers(org, edges):
    it = Customer.objects.get(department__code="it")
    campaign = make_campaign(it.department, questions=1, audience=Customer.Kind.INTERNAL)
    respond(campaign, ["worse"], customer=it, person=UserFactory(department=org.sales))
    edge = next(e for e in results.internal_map(org.admin) if e.supplier.code == "it")
    assert edge.score is None and edge.too_few


def test_a_manager_sees_the_edges_of_their_departments(client, org, edges):
    client.force_login(org.alice)
    page = client.get(reverse("customers:internal_map")).content.decode()
    assert page.count("data-edge=") == 2  # Support's two; IT → Sales is neither theirs nor below them


def test_charlie_sees_only_edges_touching_sales(org, edges):
    assert {(e.supplier.name, e.served.name) for e in results.internal_map(org.charlie)} == {
        ("Support", "Sales"),
        ("IT", "Sales"),
    }


def test_it_uses_a_bounded_number_of_queries(client, org, edges, django_assert_max_num_queries):
    client.force_login(org.admin)
    # session, user, customers with both departments, latest answers per edge, navigation
    with django_assert_max_num_queries(8):
        assert client.get(reverse("customers:internal_map")).status_code == 200
