"""The five areas: each opens from the navigation and marks itself as the current page."""

import pytest
from playwright.sync_api import expect

from tests.helpers import area_links, look_at, sign_in
from tests.metrics.factories import MetricFactory

pytestmark = pytest.mark.browser

AREAS = {
    "alice": ["Definitions", "Goals", "Metrics", "Reviews", "Customers"],
    "bob": ["Definitions", "Goals", "Metrics", "Reviews"],  # an employee keeps no customers
}


@pytest.mark.parametrize("who", ["bob", "alice"])
def test_each_area_opens_and_is_marked_current(page, org, who):
    sign_in(page, who)

    for label in AREAS[who]:
        area_links(page).get_by_text(label, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(area_links(page).and_(page.locator("[aria-current=page]"))).to_have_text(label)


def test_an_admins_metrics_area_is_the_organization_dashboard(page, org):
    MetricFactory(department=org.support, name="First-contact resolution", code="fcr")
    sign_in(page, "root")
    area_links(page).get_by_text("Metrics", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Organization dashboard")
    expect(area_links(page).and_(page.locator("[aria-current=page]"))).to_have_text("Metrics")
    expect(page.get_by_test_id("overview").get_by_role("link", name="Front Line")).to_be_visible()
    look_at(page, "organization-dashboard")
