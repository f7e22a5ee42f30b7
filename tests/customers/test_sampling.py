"""The random draw: reproducible with its seed, stratified, with exclusions counted and refusals explained."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.exceptions import RuleViolation
from customers.models import Customer
from customers.services.sampling import draw_sample, largest_remainder
from tests.customers.factories import CampaignFactory, CustomerFactory
from tests.org.factories import UserFactory


def _drawn(campaign):
    return set(campaign.recipients.values_list("customer_id", flat=True))


@pytest.fixture
def crowd(org):
    retail = CustomerFactory.create_batch(60, department=org.support, segment="retail")
    online = CustomerFactory.create_batch(30, department=org.support, segment="online")
    opted = CustomerFactory.create_batch(4, department=org.support, opted_out_at=timezone.now())
    recent = CustomerFactory.create_batch(
        6, department=org.support, last_contacted_at=timezone.now() - timedelta(days=10)
    )
    CustomerFactory.create_batch(5, department=org.sales)  # another department's customers are never drawn
    return retail, online, opted, recent


def test_it_is_reproducible_with_the_seed(org, crowd):
    first = CampaignFactory(department=org.support, sample_size=20)
    second = CampaignFactory(department=org.support, sample_size=20)
    other = CampaignFactory(department=org.support, sample_size=20)
    draw_sample(campaign=first, seed=1234)
    draw_sample(campaign=second, seed=1234)
    draw_sample(campaign=other, seed=99)
    assert _drawn(first) == _drawn(second)
    assert _drawn(first) != _drawn(other)
    first.refresh_from_db()
    assert first.seed == 1234 and first.drawn_at is not None


def test_it_stores_a_seed_when_none_is_given(org, crowd):
    campaign = CampaignFactory(department=org.support, sample_size=3)
    audit = draw_sample(campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.seed == audit["seed"] is not None


def test_stratified_quotas_are_proportional(org, crowd):
    campaign = CampaignFactory(department=org.support, sample_size=10, stratify_by_segment=True)
    audit = draw_sample(campaign=campaign, seed=7)
    # eligible: 60 retail, 30 online; the 6 recently asked and 4 opted out are retail too but excluded
    assert audit["by_segment"] == {"online": {"eligible": 30, "drawn": 3}, "retail": {"eligible": 60, "drawn": 7}}
    assert campaign.recipients.filter(segment="online").count() == 3


def test_exclusions_are_counted(org, crowd):
    campaign = CampaignFactory(department=org.support, sample_percent=10, sample_size=None, exclude_days=30)
    audit = draw_sample(campaign=campaign, seed=3)
    assert audit["eligible"] == 90
    assert audit["excluded"] == {"opted_out": 4, "no_email": 0, "recently_asked": 6}
    assert audit["drawn"] == 9 == campaign.recipients.count()


def test_a_short_window_keeps_the_recently_asked(org, crowd):
    campaign = CampaignFactory(department=org.support, sample_size=96, exclude_days=5)
    audit = draw_sample(campaign=campaign, seed=3)
    assert audit["eligible"] == 96 and audit["excluded"]["recently_asked"] == 0


def test_opted_out_customers_are_never_drawn(org, crowd):
    campaign = CampaignFactory(department=org.support, sample_size=90)
    draw_sample(campaign=campaign, seed=5)
    assert not campaign.recipients.filter(customer__opted_out_at__isnull=False).exists()
    assert not campaign.recipients.filter(customer__department=org.sales).exists()


def test_a_sample_larger_than_the_eligible_population_is_refused(org, crowd):
    campaign = CampaignFactory(department=org.support, sample_size=91)
    with pytest.raises(RuleViolation, match="larger than the 90 eligible customers"):
        draw_sample(campaign=campaign, seed=5)
    campaign.refresh_from_db()
    assert campaign.drawn_at is None and not campaign.recipients.exists()


def test_a_second_draw_is_refused(org, crowd):
    campaign = CampaignFactory(department=org.support, sample_size=2)
    draw_sample(campaign=campaign, seed=5)
    with pytest.raises(RuleViolation, match="already drawn"):
        draw_sample(campaign=campaign, seed=6)


def test_internal_campaigns_draw_members_of_customer_departments(org):
    UserFactory(username="dora", department=org.sales)
    UserFactory(username="inactive", department=org.sales, is_active=False)
    Customer.objects.create(
        department=org.support, kind=Customer.Kind.INTERNAL, name="Sales", internal_department=org.sales
    )
    campaign = CampaignFactory(department=org.support, audience=Customer.Kind.INTERNAL, sample_size=2)
    audit = draw_sample(campaign=campaign, seed=1)
    assert set(campaign.recipients.values_list("person__username", flat=True)) == {"charlie", "dora"}
    assert audit["by_segment"] == {"Sales": {"eligible": 2, "drawn": 2}}


def test_largest_remainder_splits_exactly():
    assert largest_remainder(counts={"a": 1, "b": 1, "c": 1}, total=2) == {"a": 1, "b": 1, "c": 0}
    assert sum(largest_remainder(counts={"a": 7, "b": 13, "c": 29}, total=17).values()) == 17
