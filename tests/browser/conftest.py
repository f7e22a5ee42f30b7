"""Browser journeys: Debian's Chromium driven by Playwright against pytest-django's live server."""

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect, sync_playwright

from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = settings.BASE_DIR / "var" / "screenshots"
# A failing journey should say so in seconds, not after Playwright's default 30.
TIMEOUT_MS = 5_000


# Package, not session, scope: Playwright's sync API keeps an event loop running in this thread while it is
# open, so Django would refuse every later test's queries; and DJANGO_ALLOW_ASYNC_UNSAFE, which lifts that, must
# not leak into the rest of the run (subprocesses inherit it and `check --deploy` rightly fails on it).
@pytest.fixture(scope="package")
def playwright():
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as driver:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield driver


@pytest.fixture(scope="package")
def browser(playwright):
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh tab in a fresh context (no cookies) at desktop width; relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


def screenshot(page: Page, name: str) -> None:
    """Save full-page PNGs of the current page at desktop and phone width, e.g. var/screenshots/login-390.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        page.screenshot(path=SCREENSHOTS / f"{name}-{size['width']}.png", full_page=True, animations="disabled")
    page.set_viewport_size(original)


def fill_sign_in_form(page: Page, login: str, password: str) -> None:
    """Type into the real login form and submit it, whatever comes back."""
    page.goto("/accounts/login/")
    page.get_by_label("Username or e-mail").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in(page: Page, login: str, password: str = PASSWORD) -> None:
    """Sign in through the login form and wait for Today, where a successful sign-in lands."""
    fill_sign_in_form(page, login, password)
    expect(page).to_have_title("Today · Keel")


def area_links(page: Page):
    """The links of the main navigation, Today to Organization."""
    return page.get_by_role("list", name="Areas").get_by_role("link")


def role_badge(page: Page):
    return page.locator("#user-menu [data-role]")


def open_user_menu(page: Page):
    """Click the person's name in the navbar and return the dropdown it opens."""
    page.locator("#user-menu").click()
    menu = page.locator('[aria-labelledby="user-menu"]')
    expect(menu).to_be_visible()
    return menu
