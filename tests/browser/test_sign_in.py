"""Signing in as each role, with a wrong password, and signing out."""

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import (
    area_links,
    fill_sign_in_form,
    open_user_menu,
    role_badge,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser

AREAS = ["Today", "Definitions", "Goals", "Metrics", "Reviews", "Customers", "Organization"]
# An employee keeps no customers (they belong to the departments a person manages): no Customers area.
EMPLOYEE_AREAS = [area for area in AREAS if area != "Customers"]
LOGIN_PAGE = re.compile(r"/accounts/login/")


def test_employee_sees_the_five_areas_and_no_administration(page, org):
    sign_in(page, "bob")

    expect(area_links(page)).to_have_text(EMPLOYEE_AREAS)
    expect(role_badge(page)).to_have_text("Employee")
    screenshot(page, "today-employee")
    menu = open_user_menu(page)
    expect(menu.get_by_text("Front Line")).to_be_visible()
    expect(menu.get_by_role("link", name="Administration")).to_have_count(0)


def test_manager_sees_the_five_areas_and_no_administration(page, org):
    sign_in(page, "alice")

    expect(area_links(page)).to_have_text(AREAS)
    expect(role_badge(page)).to_have_text("Manager")
    screenshot(page, "today-manager")
    menu = open_user_menu(page)
    expect(menu.get_by_role("link", name="Administration")).to_have_count(0)


def test_admin_sees_the_five_areas_and_administration_in_the_user_menu(page, org):
    sign_in(page, "root")

    expect(area_links(page)).to_have_text(AREAS)
    expect(role_badge(page)).to_have_text("Admin")
    menu = open_user_menu(page)
    expect(menu.get_by_role("link", name="Administration")).to_be_visible()


def test_a_person_can_sign_in_with_their_email_address(page, org):
    sign_in(page, "Charlie@Example.com")

    expect(page.locator("#user-menu")).to_contain_text("Charlie Cole")
    expect(role_badge(page)).to_have_text("Manager")


def test_a_wrong_password_is_refused_on_the_form_without_a_session(page, org):
    page.goto("/accounts/login/")
    screenshot(page, "login")

    fill_sign_in_form(page, "bob", "not-the-password")

    expect(page).to_have_url(LOGIN_PAGE)
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    expect(page.get_by_label("Username or e-mail")).to_have_value("bob")
    screenshot(page, "login-refused")
    assert "sessionid" not in {cookie["name"] for cookie in page.context.cookies()}
    page.goto("/")
    expect(page).to_have_url(LOGIN_PAGE)


def test_signing_out_from_the_user_menu_returns_to_the_login_page(page, org):
    sign_in(page, "bob")

    open_user_menu(page).get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(LOGIN_PAGE)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto("/metrics/")
    expect(page).to_have_url(LOGIN_PAGE)
