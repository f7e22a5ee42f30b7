"""Helpers every test package shares: the controlled clock, signing in, counting a page's queries, growing the
organization for query pins, e-mails queued for a person, and the browser journeys' screenshots and sign-in.

Fixtures live in the conftest.py files; plain functions and constants live here, imported by name.
"""

import os
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from playwright.sync_api import Page, expect

from outbox.models import OutgoingEmail
from tests.org.factories import PASSWORD, DepartmentFactory, UserFactory

# Every test runs on a controlled clock that starts at this moment and ticks on, so no expectation depends on the
# day or hour the suite happens to run. CI also runs the suite at awkward moments (a Monday 06:00 UTC in ISO week
# 53, a daylight-saving day) by setting KEEL_TEST_NOW to an ISO 8601 moment with its offset.
TEST_NOW = datetime.fromisoformat(os.environ.get("KEEL_TEST_NOW") or "2026-11-25T10:30:00+00:00")


# --- signing in and counting queries (the test client) -----------------------------------------------------------


def signed_in(client, user):
    """The test client, signed in as user (no password, no login page)."""
    client.force_login(user)
    return client


def count_queries(client, url: str, *, user=None) -> int:
    """How many queries a GET of url runs (signed in as user, if given); the page must answer 200."""
    if user is not None:
        client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


# --- growing data for query pins ---------------------------------------------------------------------------------


def grow_teams(parent, *, teams: int, people: int) -> tuple[list, list]:
    """`teams` new departments below parent and `people` new people spread over them in turn (the first person
    in the first team): (teams, people). A page whose queries are pinned must run as many with them as without."""
    made = [DepartmentFactory(parent=parent) for _ in range(teams)]
    return made, [UserFactory(department=made[n % teams]) for n in range(people)]


# --- e-mails -----------------------------------------------------------------------------------------------------


def emails_to(person) -> list[OutgoingEmail]:
    """The e-mails queued in the outbox for the person's address, oldest first."""
    return list(OutgoingEmail.objects.filter(to=person.email).order_by("created_at"))


# --- browser journeys (tests/browser: Playwright pages) ----------------------------------------------------------

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = settings.BASE_DIR / "var" / "screenshots"
# A failing journey should say so in seconds, not after Playwright's default 30.
TIMEOUT_MS = 5_000


def pick(page: Page, label: str, *options: str) -> None:
    """Choose options in a multi-select the way a person does with Keel's searchable picker (Tom Select): type a
    few letters of each into the field labelled `label`, then pick the suggestion."""
    field = page.get_by_role("combobox", name=label)
    for option in options:
        field.click()
        field.fill(option.strip()[:12])
        page.locator(".ts-dropdown .option", has_text=option.strip()).first.click()
        expect(page.locator(".ts-control .item", has_text=option.strip()).first).to_be_visible()
        expect(page.locator(".ts-dropdown:visible")).to_have_count(0)  # it closes once one is picked


def screenshot(page: Page, name: str) -> None:
    """Save full-page PNGs of the current page at desktop and phone width, e.g. var/screenshots/login-390.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        page.screenshot(path=SCREENSHOTS / f"{name}-{size['width']}.png", full_page=True, animations="disabled")
    page.set_viewport_size(original)


def look_at(page: Page, name: str) -> None:
    """Screenshot the page at both widths, and check that at phone width the page itself does not scroll
    sideways (its tables may, inside their own box)."""
    screenshot(page, name)
    page.set_viewport_size(PHONE)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    page.set_viewport_size(DESKTOP)
    assert overflow <= 0, f"{name} is {overflow}px wider than a {PHONE['width']}px phone"
    assert_accessible(page, name)


# axe-core's rules that WCAG 2.2 A and AA (and its best practices) make; "critical" and "serious" fail a journey.
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
}
FAILING_IMPACTS = ("critical", "serious")


def accessibility_problems(page: Page) -> list[str]:
    """axe-core's critical and serious violations on the page as it is now, one line each: rule, impact, elements."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(str(n['target'][0]) for n in v['nodes'][:5])}"
        for v in violations
        if v["impact"] in FAILING_IMPACTS
    ]


def assert_accessible(page: Page, name: str = "") -> None:
    """Fail when axe-core finds a critical or serious accessibility violation on the page, at both widths."""
    problems = []
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        page.wait_for_timeout(250)  # the page's own resize handling (scrolling tables become tab stops) settles
        problems += [f"{size['width']}px: {line}" for line in accessibility_problems(page)]
    page.set_viewport_size(DESKTOP)
    assert not problems, f"{name or page.url}: " + "; ".join(problems)


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


# A cache that never answers (Redis on a port nobody listens on): pages must be computed, never fail.
UNREACHABLE_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}
