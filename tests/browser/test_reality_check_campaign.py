"""Reality-check journey: a manager creates a campaign from a quality definition, draws the sample and sends it."""

import pytest
from playwright.sync_api import expect

from customers.models import Campaign
from tests.customers.factories import CustomerFactory, published_definition
from tests.helpers import area_links, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_a_manager_creates_draws_and_sends_a_reality_check(page, org):
    for segment, count in (("retail", 12), ("online", 6), ("public sector", 2)):
        CustomerFactory.create_batch(count, department=org.support, segment=segment)
    definition = published_definition(
        department=org.support,
        criteria=("First reply within 4 business hours", "Solved at the first contact, or told when it will be"),
    )
    sign_in(page, "alice")

    area_links(page).get_by_text("Customers", exact=True).click()
    expect(page.locator("[data-customers] tbody tr")).to_have_count(20)
    screenshot(page, "customers-list")
    page.get_by_role("link", name="New reality check").first.click()
    page.get_by_label("Quality definition").select_option(str(definition.pk))
    page.get_by_label("Department").select_option(str(org.support.pk))
    page.get_by_label("Sample size").fill("10")
    page.get_by_label("Stratify by segment").check()
    page.get_by_label("Ends on").fill("2999-12-31")
    screenshot(page, "campaign-new")
    page.get_by_role("button", name="Create the campaign").click()

    expect(page.locator("[data-questions]")).to_contain_text("First reply within 4 business hours")
    page.get_by_label("Seed").fill("2026")
    page.get_by_role("button", name="Draw the sample").click()
    expect(page.locator("[data-eligible]")).to_have_text("20")
    expect(page.locator("[data-drawn]")).to_have_text("10")
    expect(page.locator("[data-seed]")).to_have_text("2026")
    screenshot(page, "campaign-drawn")

    page.get_by_role("button", name="Send to 10").click()
    expect(page.locator("[data-status]").first).to_have_text("Sent")
    screenshot(page, "campaign-sent")
    assert Campaign.objects.get().status == Campaign.Status.SENT
