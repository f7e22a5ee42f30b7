"""The demo's customer lists: Customer Service's segments, IT's internal customers, the same on a second run."""

import random

from django.utils import timezone

from core import periods
from customers.demo import seed_customer_campaigns, seed_customers
from customers.models import Customer, FollowUp
from goals.demo import seed_definitions
from metrics.demo import seed_metrics
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


def test_the_demo_follow_up_list_has_items_closed_on_time_and_open_ones_not_yet_due(db):
    seed_organization(rng=random.Random("7:organization"), size="small")
    seed_metrics(rng=random.Random("7:metrics"), size="small")
    seed_definitions(rng=random.Random("7:definitions"), size="small")
    seed_customers(rng=random.Random("7:customers"), size="small")
    summary = seed_customer_campaigns(rng=random.Random("7:customer-campaigns"), size="small")
    assert summary.startswith("customer campaigns: 3 new")
    today = periods.today()
    closed = [f for f in FollowUp.objects.all() if f.closed_at is not None]
    on_time = [f for f in closed if periods.local_day(f.closed_at) <= f.due_date]
    assert on_time and len(on_time) < len(closed)  # most closed within their two weeks, some late
    assert all(f.response.submitted_at < f.closed_at <= timezone.now() for f in closed)
    still_open = FollowUp.objects.open()
    assert still_open.filter(due_date__gte=today).exists() and still_open.filter(due_date__lt=today).exists()
