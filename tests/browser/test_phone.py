"""Keel on a 390 px wide phone: the navigation folds away and tables stay inside the screen."""

import pytest
from playwright.sync_api import expect

from tests.helpers import PHONE, area_links, sign_in
from tests.org.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.browser


def page_overflow(page) -> int:
    """How many pixels the page is wider than the screen (0 or less when nothing scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.fixture
def phone(page):
    page.set_viewport_size(PHONE)
    return page


def test_the_navigation_folds_into_the_toggler_and_opens_on_tap(phone, org):
    sign_in(phone, "bob")
    toggler = phone.get_by_role("button", name="Show navigation")

    expect(toggler).to_be_visible()
    expect(area_links(phone).first).to_be_hidden()
    toggler.click()

    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(area_links(phone)).to_have_count(6)  # Today, the four areas of an employee, Organization
    for link in area_links(phone).all():
        expect(link).to_be_visible()
    expect(phone.locator("#user-menu")).to_be_visible()


@pytest.fixture
def deep_branch(org):
    """A deep branch with long names and a manager: the widest rows the chart draws."""
    escalations = DepartmentFactory(name="Customer Escalations and Complaints", parent=org.front_line)
    weekend = DepartmentFactory(name="Weekend and Public Holiday Cover", parent=escalations)
    weekend.managers.add(UserFactory(username="dana", first_name="Dana", last_name="Delacroix-Montgomery"))
    return weekend


def test_the_organization_page_does_not_scroll_sideways(phone, deep_branch):
    sign_in(phone, "alice")

    phone.goto("/org/")

    expect(phone.get_by_role("cell", name=deep_branch.name)).to_be_visible()
    assert page_overflow(phone) <= 0


def test_the_organization_chart_shows_every_column_without_scrolling(phone, deep_branch):
    sign_in(phone, "alice")

    phone.goto("/org/")

    chart = phone.locator(".table-responsive").filter(has=phone.locator(".keel-tree"))
    assert chart.evaluate("box => box.scrollWidth - box.clientWidth") <= 0


def test_no_page_scrolls_sideways(phone, org):
    paths = ["/", "/org/", f"/org/departments/{org.support.pk}/", "/metrics/", "/accounts/password/change/", "/admin/"]
    phone.goto("/accounts/login/")
    assert page_overflow(phone) <= 0, "/accounts/login/ is wider than the screen"
    sign_in(phone, "alice")

    for path in paths:
        phone.goto(path)
        assert page_overflow(phone) <= 0, f"{path} is wider than the screen"
