"""The admin site: open to admins from the user menu, a polite 403 for everyone else."""

import pytest
from playwright.sync_api import expect

from tests.helpers import open_user_menu, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_admin_opens_administration_from_the_user_menu(page, org):
    sign_in(page, "root")

    open_user_menu(page).get_by_role("link", name="Administration").click()

    expect(page).to_have_url("/admin/")
    expect(page.get_by_role("link", name="Keel administration")).to_be_visible()
    expect(page.get_by_role("heading", name="Organization, schedules and data")).to_be_visible()


def test_employee_who_opens_administration_gets_the_not_allowed_page(page, org):
    sign_in(page, "bob")

    response = page.goto("/admin/")

    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_role("link", name="Back to Today")).to_be_visible()
    expect(page.get_by_text("Keel administration")).to_have_count(0)
    screenshot(page, "forbidden")


def test_manager_who_opens_administration_gets_the_not_allowed_page(page, org):
    sign_in(page, "alice")

    response = page.goto("/admin/org/department/")

    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
