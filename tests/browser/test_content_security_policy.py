"""Journey: pages work under the Content-Security-Policy, and the browser reports no blocked script or style."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.test_my_metrics import fcr  # noqa: F401  (a metric with a reading, so charts draw)
from tests.helpers import sign_in

pytestmark = pytest.mark.browser


def test_pages_break_no_rule_of_the_policy(page, org, fcr):  # noqa: F811
    blocked = []
    page.on(
        "console",
        lambda message: (
            blocked.append(f"{page.url}: {message.text[:120]}") if "Content Security Policy" in message.text else None
        ),
    )
    sign_in(page, "alice")
    for path in (
        "/",
        "/metrics/?period=day",
        f"/metrics/{fcr.pk}/",
        "/org/",
        f"/metrics/departments/{org.support.pk}/",
        "/definitions/",
        "/goals/",
        "/goals/register/",
        reverse("metrics:scorecard", args=[org.support.pk]),
        "/customers/",
    ):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    page.goto("/org/")
    page.get_by_label("Filter departments").fill("sales")
    expect(page.get_by_role("link", name="Support")).to_be_hidden()
    assert blocked == []
