"""The scorecard reads at a glance: distinct symbols with a legend, and on a phone each name beside its score."""

import pytest
from playwright.sync_api import expect

from metrics.status import LOOKS
from tests.helpers import PHONE, look_at, sign_in
from tests.metrics.factories import MetricFactory, TargetFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def wide_scorecard(org):
    for n in range(7):
        metric = MetricFactory(department=org.support, name=f"Service measure number {n}", code=f"m{n}")
        TargetFactory(metric=metric, target=80, warning=70)


def test_on_a_phone_each_name_stays_beside_its_score(page, org, wide_scorecard):
    sign_in(page, "alice")
    page.set_viewport_size(PHONE)
    page.goto(f"/metrics/scorecards/{org.support.pk}/")
    row = page.locator("tbody tr").first
    expect(row).to_be_visible()
    name, score = row.locator("th").bounding_box(), row.locator("td.keel-sc-score").bounding_box()
    assert name["x"] >= 0 and score["x"] + score["width"] <= PHONE["width"] + 1, (name, score)
    for look in LOOKS.values():
        expect(page.locator(".keel-sc-legend")).to_contain_text(f"{look.symbol} {look.label}")
    expect(page.locator(".keel-sc-legend")).to_contain_text("n/a Does not apply")
    look_at(page, "scorecard-phone")
