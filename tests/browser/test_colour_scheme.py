"""The colour scheme follows the system setting: a dark system gets Bootstrap's dark mode, charts included."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from metrics.models import Reading
from metrics.services import rollups
from metrics.services.readings import ReadingRow, record_readings
from tests.helpers import look_at, sign_in
from tests.metrics.factories import MetricFactory, TargetFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def fcr(org):
    metric = MetricFactory(department=org.support, name="First-contact resolution", code="fcr", max_value=100)
    TargetFactory(metric=metric, target=80, warning=70)
    for days, value in ((3, 61), (2, 70), (1, 84)):
        record_readings(
            rows=[
                ReadingRow(
                    metric=metric, person=org.bob, measured_at=timezone.now() - timedelta(days=days), value=value
                )
            ],
            recorded_by=org.admin,
            source=Reading.Source.FORM,
        )
    rollups.run()
    return metric


def chart_tick_colour(page):
    return page.evaluate(
        "() => Chart.getChart(document.querySelector('canvas[data-trend]')).options.scales.y.ticks.color"
    )


def test_a_dark_system_gets_the_dark_scheme_and_the_charts_follow(page, org, fcr):
    page.emulate_media(color_scheme="dark")
    sign_in(page, "bob")
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    page.goto("/metrics/?period=day")
    expect(page.locator("canvas[data-trend]").first).to_be_visible()
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(15, 23, 34)"
    assert chart_tick_colour(page) == "#ced4da"
    look_at(page, "dark-metric")

    page.emulate_media(color_scheme="light")  # the system setting changes while the page is open
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "light")
    assert chart_tick_colour(page) == "#495057"


def test_a_light_system_keeps_the_light_scheme(page, org):
    page.emulate_media(color_scheme="light")
    sign_in(page, "alice")
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "light")
    look_at(page, "light-today")
