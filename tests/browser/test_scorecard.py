"""Journey: a manager closes last month on their department's scorecard, confirms an award, and the employee sees it."""

from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from core import periods
from metrics.models import Metric, Reading
from metrics.services import rollups
from metrics.services.readings import ReadingRow, record_readings
from tests.helpers import look_at, sign_in
from tests.metrics.factories import MetricFactory, TargetFactory
from tests.org.factories import UserFactory

pytestmark = pytest.mark.browser


def last_month() -> date:
    return periods.shift(periods.bucket_start(periods.today(), periods.MONTH), periods.MONTH, -1)


@pytest.fixture
def month(org):
    """Last month in Support: alice on track everywhere, bob at risk on handle time, erin off track on both."""
    start = last_month()
    erin = UserFactory(username="erin", first_name="Erin", last_name="Ellis", department=org.front_line)
    fcr = MetricFactory(department=org.support, name="First-contact resolution", code="fcr", weight=2)
    TargetFactory(metric=fcr, target=80, warning=70)
    aht = MetricFactory(
        department=org.support, name="Average handle time", code="aht", unit="min", direction=Metric.Direction.LOWER
    )
    TargetFactory(metric=aht, target=5, warning=7)
    csat = MetricFactory(
        department=org.support, name="Customer satisfaction", code="csat", unit="", owner_kind=Metric.Owner.DEPARTMENT
    )
    TargetFactory(metric=csat, target=4.5, warning=4)

    def on(day: int) -> datetime:
        return datetime.combine(start + timedelta(days=day), time(12), tzinfo=periods.organization_zone())

    rows = [
        ReadingRow(metric=metric, person=person, measured_at=on(day), value=value)
        for metric, person, day, value in [
            (fcr, org.alice, 3, 92),
            (fcr, org.alice, 17, 88),
            (aht, org.alice, 3, 4.2),
            (fcr, org.bob, 3, 84),
            (fcr, org.bob, 17, 90),
            (aht, org.bob, 3, 6.1),
            (aht, org.bob, 17, 6.5),
            (fcr, erin, 3, 61),
            (aht, erin, 3, 9.4),
            (csat, None, 10, 4.6),
        ]
    ]
    record_readings(rows=rows, recorded_by=org.admin, source=Reading.Source.FORM)
    rollups.run()
    return SimpleNamespace(start=start, label=periods.label(start, periods.MONTH))


def test_a_manager_closes_last_month_and_the_employee_sees_the_confirmed_award(page, org, month):
    sign_in(page, "alice")
    page.goto("/metrics/")
    page.get_by_role("link", name="Scorecards and awards").click()
    look_at(page, "scorecard-index")
    page.get_by_role("link", name="Open the scorecard of Support").click()
    expect(page.get_by_role("heading", name="Support scorecard")).to_be_visible()
    page.get_by_role("group", name="Period").get_by_role("link", name="Month").click()
    page.get_by_label("Show the period containing").fill((month.start + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Go").click()

    expect(page.locator('nav[aria-label="Previous and next period"] [aria-current="page"]')).to_have_text(month.label)
    bob = page.locator(f'[data-row="person-{org.bob.pk}"]')
    expect(bob.locator("td[data-state]")).to_have_count(3)
    expect(bob.locator('td[data-state="at_risk"]')).to_contain_text("6.3 min")
    alice = page.locator(f'[data-row="person-{org.alice.pk}"]')
    expect(alice.locator('td[data-state="on_track"]')).to_have_count(2)
    expect(page.locator('[data-row="total"]')).to_contain_text("4.6")
    look_at(page, "scorecard-matrix")

    close = page.locator("#close")
    close.get_by_label("Top N by weighted score").check()
    close.get_by_label("N, for “Top N”").fill("2")
    close.get_by_role("button", name="Close this period").click()

    # Asked once, with what closing freezes: the departments by name and the counts.
    asked = page.locator("[data-confirmation]")
    expect(asked.get_by_role("heading", name=f"Close {month.label} for Support?")).to_be_visible()
    expect(asked.locator("[data-items]")).to_contain_text("Front Line")
    expect(asked).to_contain_text("The figures of 3 people are frozen")
    look_at(page, "scorecard-close-confirmation")
    asked.get_by_role("button", name=f"Close and freeze {month.label}").click()

    expect(page.get_by_role("heading", name=f"Support · {month.label}")).to_be_visible()
    expect(page.locator(".alert-success")).to_contain_text("Keel suggests 2 awards")
    awards = page.locator("[data-award]")
    expect(awards).to_have_count(2)
    expect(awards.get_by_text("Suggested")).to_have_count(2)
    bobs_award = awards.filter(has_text="Bob Baker")
    expect(bobs_award).to_contain_text("Top 2 by weighted score")
    bobs_award.get_by_role("button", name="Edit title or note").click()
    bobs_award.get_by_label("Note").fill("Most first contacts resolved on the team in the second half.")
    bobs_award.get_by_role("button", name="Confirm").click()

    expect(page.locator(".alert-success")).to_contain_text("confirmed for Bob Baker")
    bobs_award = page.locator("[data-award]").filter(has_text="Bob Baker")
    expect(bobs_award.get_by_text("Confirmed", exact=True)).to_be_visible()
    expect(bobs_award.locator("[data-confirmed]")).to_contain_text("Confirmed by Alice Archer on")
    expect(bobs_award).to_contain_text("Most first contacts resolved")
    look_at(page, "scorecard-closed-with-awards")

    page.context.clear_cookies()
    sign_in(page, "bob")
    page.goto("/metrics/")
    my_awards = page.locator('[data-section="my-awards"]')
    expect(my_awards).to_contain_text("Top 2 by weighted score")
    expect(my_awards).to_contain_text("Most first contacts resolved on the team in the second half.")
    expect(my_awards.get_by_role("listitem")).to_have_count(1)
    look_at(page, "my-metrics-with-award")


def test_a_manager_downloads_a_large_scorecard_written_in_the_background(page, org, month, monkeypatch):
    from metrics.services import scorecard_exports

    monkeypatch.setattr(scorecard_exports, "IN_REQUEST_ROWS", 1)  # Support's three people count as "large"
    sign_in(page, "alice")
    page.goto(f"/metrics/scorecards/{org.support.pk}/?period=month&start={month.start.isoformat()}")
    page.get_by_role("link", name="Export Excel").click()
    expect(page.get_by_role("heading", name=f"Support scorecard, {month.label}: Excel export")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("ready")  # the worker runs eagerly in tests
    look_at(page, "scorecard-export-ready")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").click()
    assert download.value.suggested_filename == f"scorecard-support-month-{month.start.isoformat()}-people.xlsx"
