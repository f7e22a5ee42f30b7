"""Journey: an employee records a reading and sees their dashboard change after the rollup."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from metrics.models import Reading
from metrics.services import rollups
from metrics.services.readings import ReadingRow, record_readings
from tests.helpers import screenshot, sign_in
from tests.metrics.factories import MetricFactory, TargetFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def fcr(org):
    metric = MetricFactory(
        department=org.support, name="First-contact resolution", code="fcr", min_value=0, max_value=100
    )
    TargetFactory(metric=metric, target=80, warning=70)
    yesterday = timezone.now() - timedelta(days=1)
    record_readings(
        rows=[ReadingRow(metric=metric, person=org.bob, measured_at=yesterday, value=62)],
        recorded_by=org.admin,
        source=Reading.Source.FORM,
    )
    rollups.run()
    return metric


def test_an_employee_records_a_reading_and_sees_the_dashboard_change(page, org, fcr):
    sign_in(page, "bob")
    expect(page.locator("#today-metrics")).to_contain_text("First-contact resolution")
    page.goto("/metrics/?period=day")
    card = page.locator('[data-metric="fcr"]')
    expect(card.locator('[data-role="figure"]')).to_have_text("no readings yet")
    expect(card.locator('[data-role="previous"]')).to_contain_text("62.0%")

    page.get_by_role("link", name="Record a reading").click()
    page.get_by_label("Metric").select_option(label="First-contact resolution")
    page.get_by_label("Value").fill("180")
    page.get_by_role("button", name="Save reading").click()
    expect(page.locator("main form")).to_contain_text("above the highest valid value")
    expect(page.get_by_label("Value")).to_have_value("180")  # nothing typed is lost

    page.get_by_label("Value").fill("88")
    page.get_by_role("button", name="Save reading").click()
    expect(page.locator(".alert-success")).to_contain_text("Reading of “First-contact resolution” recorded")
    page.get_by_role("link", name="Day", exact=True).click()
    card = page.locator('[data-metric="fcr"]')
    expect(card.locator('[data-role="figure"]')).to_have_text("88.0%")  # today so far
    expect(card.locator('[data-role="so-far"]')).to_contain_text("Today so far")
    expect(card.locator(".keel-status")).to_contain_text("Off track")  # judged on yesterday's 62, a complete day
    screenshot(page, "my-metrics")
