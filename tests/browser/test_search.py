"""The header's search: type, move with the arrow keys, open a hit; the full results page at both widths."""

import pytest
from playwright.sync_api import expect

from tests.helpers import look_at, sign_in
from tests.metrics.factories import MetricFactory

pytestmark = pytest.mark.browser


def test_manager_finds_a_metric_from_the_header_with_the_keyboard(page, org):
    MetricFactory(department=org.support, name="First reply time")
    MetricFactory(department=org.sales, name="Reply to leads")  # Charlie's: never offered to Alice
    sign_in(page, "alice")

    page.keyboard.press("/")
    expect(page.locator("#keel-search-input")).to_be_focused()
    page.keyboard.type("reply")

    suggestions = page.locator("#keel-search-suggestions")
    expect(suggestions.get_by_role("link", name="First reply time")).to_be_visible()
    expect(suggestions).not_to_contain_text("Reply to leads")
    page.keyboard.press("ArrowDown")
    expect(suggestions.get_by_role("link").first).to_be_focused()
    look_at(page, "search-suggestions")
    suggestions.get_by_role("link").first.focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="First reply time")).to_be_visible()


def test_employee_searches_for_a_colleague_on_the_results_page(page, org):
    sign_in(page, "bob")
    page.locator("#keel-search-input").fill("baker")
    page.locator("#keel-search-input").press("Enter")

    expect(page.get_by_role("heading", name="Search", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Bob Baker")).to_be_visible()
    look_at(page, "search-results")

    page.get_by_role("link", name="Bob Baker").click()
    expect(page.get_by_role("heading", name="Front Line", level=1)).to_be_visible()
    expect(page.locator(f"#person-{org.bob.pk}")).to_have_class("table-active")


def test_escape_closes_the_suggestions(page, org):
    sign_in(page, "alice")
    search = page.locator("#keel-search-input")
    search.fill("archer")
    expect(page.locator("#keel-search-suggestions a").first).to_be_visible()
    search.press("Escape")
    expect(page.locator("#keel-search-suggestions a")).to_have_count(0)
