"""Browser journeys: Debian's Chromium driven by Playwright against pytest-django's live server.

The journeys' helpers (screenshots, signing in, the navigation) are in tests/helpers.py."""

import pytest
from playwright.sync_api import sync_playwright

from tests.helpers import DESKTOP, TIMEOUT_MS

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
