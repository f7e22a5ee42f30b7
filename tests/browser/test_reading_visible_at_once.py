"""Journey: an employee records a reading while another rollup holds the lock; the page they land on shows the
figure by itself once the worker has rolled it up, without a reload."""

import pytest
from playwright.sync_api import expect

from metrics.services import rollups
from tests.helpers import look_at, sign_in
from tests.metrics.factories import MetricFactory, TargetFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def fcr(org):
    metric = MetricFactory(
        department=org.support, name="First-contact resolution", code="fcr", min_value=0, max_value=100
    )
    TargetFactory(metric=metric, target=80, warning=70)
    return metric


@pytest.fixture
def rollup_busy(monkeypatch):
    """As if a full rebuild held the rollup lock: the request's try fails at once, and the nudged worker is this
    test, which rolls up when it chooses to."""
    real_run = rollups.run
    monkeypatch.setattr(rollups, "run", lambda *, full=False, blocking=True: None if not blocking else real_run())
    monkeypatch.setattr(rollups, "_nudge_worker", lambda: None)
    return real_run


def test_a_recorded_reading_appears_on_the_landing_page_without_a_reload(page, org, fcr, rollup_busy):
    sign_in(page, "bob")
    page.goto("/metrics/readings/new/")
    page.get_by_label("Metric").select_option(label="First-contact resolution")
    page.get_by_label("Value").fill("88")
    page.get_by_role("button", name="Save reading").click()

    expect(page.locator(".alert-success")).to_contain_text("Reading of “First-contact resolution” recorded")
    card = page.locator('[data-metric="fcr"]')
    expect(card.locator('[data-role="figure"]')).to_have_text("no readings yet")
    expect(page.locator("[data-rollup-waiting]")).to_contain_text("Adding your reading to the figures")
    look_at(page, "reading-waiting-for-rollup")
    page.evaluate("window.keelNotReloaded = true")  # gone if the page were loaded again

    rollup_busy()  # the worker's run, once the other one is done
    expect(card.locator('[data-role="figure"]')).to_have_text("88.0%")
    expect(page.locator("[data-rollup-waiting]")).to_have_count(0)
    assert page.evaluate("window.keelNotReloaded === true")
    expect(card.locator("canvas[data-trend]")).to_be_visible()  # the chart is drawn again in the new card
    look_at(page, "reading-rolled-up")
