"""The five areas, empty for now: each says so and marks itself in the navigation."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import area_links, screenshot, sign_in

pytestmark = pytest.mark.browser

HEADINGS = {
    "Definitions": "Quality definitions",
    "Goals": "S.M.A.R.T. goals",
    "Metrics": "Performance metrics",
    "Reviews": "Review sessions and refresher training",
    "Customers": "Customer reality checks",
}


def test_each_area_says_nothing_is_here_yet_and_is_marked_current(page, org):
    sign_in(page, "bob")

    for label, heading in HEADINGS.items():
        area_links(page).get_by_text(label, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(page.get_by_text("Nothing here yet")).to_be_visible()
        expect(area_links(page).and_(page.locator("[aria-current=page]"))).to_have_text(label)


def test_empty_area_page_looks_right_at_both_widths(page, org):
    sign_in(page, "alice")
    page.goto("/metrics/")

    expect(page.get_by_text("Nothing here yet")).to_be_visible()
    screenshot(page, "area-empty")
