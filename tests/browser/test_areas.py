"""The five areas: each marks itself in the navigation; those still to come say so."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import area_links, screenshot, sign_in

pytestmark = pytest.mark.browser

AREAS = ["Definitions", "Goals", "Metrics", "Reviews", "Customers"]
# Areas whose features have not arrived yet, with the heading their page shows.
STILL_EMPTY = {
    "Customers": "Customer reality checks",
}


def test_each_area_opens_and_is_marked_current(page, org):
    sign_in(page, "bob")

    for label in AREAS:
        area_links(page).get_by_text(label, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(area_links(page).and_(page.locator("[aria-current=page]"))).to_have_text(label)
        if label in STILL_EMPTY:
            expect(page.get_by_role("heading", level=1)).to_have_text(STILL_EMPTY[label])
            expect(page.get_by_text("Nothing here yet")).to_be_visible()


def test_empty_area_page_looks_right_at_both_widths(page, org):
    sign_in(page, "alice")
    page.goto("/customers/")

    expect(page.get_by_text("Nothing here yet")).to_be_visible()
    screenshot(page, "area-empty")
