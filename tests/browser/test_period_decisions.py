"""Journey: a manager closes a month after seeing what it freezes, settles a tie for the last place, confirms all
awards at once; an admin then reopens the month with a reason and the awards show as withdrawn."""

from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from core import periods
from metrics.models import Reading
from metrics.services import rollups
from metrics.services.readings import ReadingRow, record_readings
from tests.helpers import look_at, sign_in
from tests.metrics.factories import MetricFactory, TargetFactory
from tests.org.factories import UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def tied_month(org):
    """Last month in Support: Alice, Bob and Erin resolved exactly as many first contacts (a three-way tie)."""
    start = periods.shift(periods.bucket_start(periods.today(), periods.MONTH), periods.MONTH, -1)
    erin = UserFactory(username="erin", first_name="Erin", last_name="Ellis", department=org.front_line)
    fcr = MetricFactory(department=org.support, name="First-contact resolution", code="fcr")
    TargetFactory(metric=fcr, target=80, warning=70)
    day = datetime.combine(start + timedelta(days=3), time(12), tzinfo=periods.organization_zone())
    rows = [ReadingRow(metric=fcr, person=p, measured_at=day, value=90) for p in (org.alice, org.bob, erin)]
    record_readings(rows=rows, recorded_by=org.admin, source=Reading.Source.FORM)
    rollups.run()
    return periods.label(start, periods.MONTH), start


def test_close_settle_the_tie_confirm_all_then_an_admin_reopens(page, org, tied_month):
    label, start = tied_month
    sign_in(page, "alice")
    page.goto(f"/metrics/scorecards/{org.support.pk}/?period=month&start={start.isoformat()}")
    close = page.locator("#close")
    close.get_by_label("Top N by weighted score").check()
    close.get_by_label("N, for “Top N”").fill("2")
    close.get_by_role("button", name="Close this period").click()

    asked = page.locator("[data-confirmation]")
    expect(asked).to_contain_text("is frozen for 2 departments")
    expect(asked).to_contain_text("3 people tie for 1st place (score 100%): 2 places are left")
    look_at(page, "period-close-confirmation")
    asked.get_by_role("button", name=f"Close and freeze {label}").click()

    expect(page.locator(".alert-success")).to_contain_text("Keel suggests no award outright")
    tie = page.locator("[data-tie]")
    expect(tie).to_contain_text("3 people tie for 1st place")
    look_at(page, "period-closed-tie")
    tie.get_by_label("Bob Baker").check()
    tie.get_by_label("Erin Ellis").check()
    tie.get_by_role("button", name="Suggest the award to them").click()
    expect(page.locator(".alert-success")).to_contain_text("Bob Baker, Erin Ellis are suggested")
    expect(page.locator("[data-tie]")).to_have_count(0)

    page.get_by_role("button", name="Confirm all 2…").click()
    asked = page.locator("[data-confirmation]")
    expect(asked.get_by_role("heading", name="Confirm all 2 awards?")).to_be_visible()
    expect(asked.locator("[data-items]")).to_contain_text("Bob Baker · Top 2 by weighted score")
    look_at(page, "awards-confirm-all")
    asked.get_by_role("button", name="Confirm 2 awards").click()
    expect(page.locator(".alert-success")).to_contain_text("2 awards confirmed; each person is told by e-mail.")
    expect(page.locator("[data-award]").get_by_text("Confirmed", exact=True)).to_have_count(2)
    # Alice manages Support but is no admin: nothing offers her to reopen.
    expect(page.get_by_role("link", name="Reopen…")).to_have_count(0)
    closed_url = page.url

    page.context.clear_cookies()
    sign_in(page, "root")
    page.goto(closed_url)
    page.get_by_role("link", name="Reopen…").click()
    asked = page.locator("[data-confirmation]")
    expect(asked).to_contain_text("2 awards are withdrawn (2 confirmed, seen by their people)")
    asked.get_by_label("Why reopen it?").fill("The phone system lost the readings of the 30th.")
    look_at(page, "period-reopen-confirmation")
    asked.get_by_role("button", name="Reopen and withdraw its awards").click()

    expect(page.locator(".alert-success")).to_contain_text("2 awards were withdrawn with your reason")
    expect(page.locator("[data-reopened]")).to_contain_text("The phone system lost the readings of the 30th.")
    expect(page.locator("[data-award]").get_by_text("Withdrawn", exact=True)).to_have_count(2)
    expect(page.locator("[data-history]")).to_contain_text("Reopened")
    look_at(page, "period-reopened")

    page.context.clear_cookies()
    sign_in(page, "bob")
    page.goto("/metrics/")
    mine = page.locator('[data-section="my-awards"]')
    expect(mine.locator("[data-withdrawn]")).to_contain_text("The phone system lost the readings of the 30th.")
