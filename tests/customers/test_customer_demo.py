"""The demo's customer lists: Customer Service's segments, IT's internal customers, the same on a second run."""

import random

from customers.demo import seed_customers
from customers.models import Customer
from org.demo import seed_organization


def test_it_seeds_customers_once(db):
    seed_organization(rng=random.Random("7:organization"), size="small")
    summary = seed_customers(rng=random.Random("7:customers"), size="small")
    assert summary.startswith("customers: 300 for Customer Service (300 new)")
    service = Customer.objects.filter(department__code="customer-service")
    assert set(service.values_list("segment", flat=True)) == {"retail", "online", "wholesale", "public sector"}
    assert service.filter(opted_out_at__isnull=False).exists()
    assert service.filter(last_contacted_at__isnull=False).exists()
    internal = Customer.objects.filter(department__code="it", kind="internal")
    assert "Customer Service" in set(internal.values_list("name", flat=True)) and internal.count() == 7
    assert seed_customers(rng=random.Random("7:customers"), size="small").endswith(
        "(0 new), 0 new internal customers of IT"
    )
