"""The five areas: each opens from the navigation and marks itself as the current page."""

import pytest
from playwright.sync_api import expect

from tests.helpers import area_links, sign_in

pytestmark = pytest.mark.browser

AREAS = ["Definitions", "Goals", "Metrics", "Reviews", "Customers"]


@pytest.mark.parametrize("who", ["bob", "alice"])
def test_each_area_opens_and_is_marked_current(page, org, who):
    sign_in(page, who)

    for label in AREAS:
        area_links(page).get_by_text(label, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(area_links(page).and_(page.locator("[aria-current=page]"))).to_have_text(label)
