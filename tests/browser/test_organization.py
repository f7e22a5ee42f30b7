"""The organization chart and department pages: everyone reads the tree, people open what they may see."""

import pytest
from playwright.sync_api import expect

from tests.helpers import area_links, screenshot, sign_in

pytestmark = pytest.mark.browser


def chart_rows(page):
    return page.locator(".keel-tree tbody tr")


def test_manager_sees_the_whole_tree_indented_with_managers(page, org):
    sign_in(page, "alice")

    area_links(page).get_by_text("Organization", exact=True).click()

    expect(page.get_by_role("heading", name="Organization")).to_be_visible()
    expect(area_links(page).and_(page.locator("[aria-current=page]"))).to_have_text("Organization")
    expect(chart_rows(page).locator("td.name")).to_have_text(["Acme", "└Sales", "└Support", "└Front Line"])
    expect(chart_rows(page).filter(has_text="Sales")).to_contain_text("Charlie Cole")
    screenshot(page, "organization")


def test_filtering_the_chart_by_a_manager_name_keeps_only_their_departments(page, org):
    sign_in(page, "alice")
    page.goto("/org/")

    page.get_by_placeholder("Filter by department or manager").fill("charlie")

    expect(chart_rows(page).locator("visible=true")).to_have_count(1)
    expect(chart_rows(page).locator("visible=true")).to_contain_text("Sales")


def test_employee_can_open_their_own_department_but_not_others(page, org):
    sign_in(page, "bob")
    page.goto("/org/")

    expect(chart_rows(page).filter(has_text="Sales").get_by_role("link")).to_have_count(0)
    chart_rows(page).get_by_role("link", name="Front Line").click()

    expect(page.get_by_role("heading", name="Front Line")).to_be_visible()


def test_manager_opens_a_department_and_sees_its_people_and_sub_departments(page, org):
    sign_in(page, "alice")
    page.goto("/org/")

    chart_rows(page).get_by_role("link", name="Support").click()

    expect(page.get_by_role("heading", name="Support", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="breadcrumb")).to_contain_text("Acme")
    expect(page.get_by_role("link", name="Front Line")).to_be_visible()
    expect(page.get_by_role("cell", name="Alice Archer")).to_be_visible()
    expect(page.get_by_role("link", name="Edit in administration")).to_have_count(0)
    screenshot(page, "department")
