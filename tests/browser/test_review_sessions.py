"""Journey: an admin schedules a quarterly review session for a department, fixes a time that ends before it
starts, and lands on the series with its sessions ahead; the invitee sees it on Today and accepts."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reviews.models import ReviewSeries
from tests.goals.factories import QualityDefinitionFactory
from tests.helpers import area_links, look_at, pick, sign_in

pytestmark = pytest.mark.browser


def test_an_admin_schedules_a_quarterly_review_for_a_department(page, org):
    QualityDefinitionFactory(department=org.support, title="Support tickets")
    next_month = (timezone.localdate().replace(day=1) + timedelta(days=32)).strftime("%Y-%m")
    sign_in(page, "root")

    area_links(page).get_by_text("Reviews", exact=True).click()
    page.get_by_role("link", name="New recurring series").click()
    expect(page.get_by_role("heading", name="New recurring series")).to_be_visible()
    page.get_by_label("Title").fill("Quality review")
    pick(page, "Quality definitions", "Support tickets (Support)")
    page.get_by_label("Week").select_option(label="first")
    page.get_by_label("Day").select_option(label="Tuesday")
    page.get_by_label("Repeats").select_option(label="quarterly")
    page.get_by_label("From").fill(next_month)
    page.get_by_label("Starts at").fill("09:30")
    page.get_by_label("Ends at").fill("09:00")
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_label("Place").fill("Training room 2")
    page.get_by_label("Facilitator").select_option(label="Alice Archer · Support")
    pick(page, "Invite departments", "Support")
    page.get_by_role("button", name="Create series and invite").click()

    error = "The session must end after it starts (it starts at 09:30, ends at 09:00)."
    expect(page.get_by_text(error)).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("Quality review")  # nothing typed is lost
    look_at(page, "review-series-form-error")

    page.get_by_label("Ends at").fill("11:00")
    page.get_by_role("button", name="Create series and invite").click()

    expect(page.get_by_role("heading", name="Quality review", level=1)).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Series created with")
    expect(page.locator('[data-role="pattern"]')).to_contain_text("First Tuesday, quarterly, 09:30 Europe/Berlin")
    series = ReviewSeries.objects.get()
    occurrences = page.locator('[data-role="occurrences"] li')
    expect(occurrences).to_have_count(series.sessions.count())
    expect(occurrences.first).to_contain_text("0 of 2 accepted")  # alice and bob of Support, not charlie
    expect(page.locator('[data-role="invited"]')).to_have_text("Support")
    look_at(page, "review-series")

    occurrences.first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Quality review", level=1)).to_be_visible()
    expect(page.locator('[data-role="when"]')).to_contain_text("09:30–11:00 (Europe/Berlin)")
    look_at(page, "review-session")


def test_the_invitee_accepts_from_today(page, org):
    QualityDefinitionFactory(department=org.support, title="Support tickets")
    from reviews.services import sessions as scheduling
    from tests.reviews.factories import details

    scheduling.schedule_session(
        by=org.admin, details=details(org, title="Ticket review"), starts_at=timezone.now() + timedelta(days=9)
    )
    sign_in(page, "bob")
    section = page.locator("#today-reviews")
    expect(section).to_contain_text("1 invitation waiting for your answer")
    look_at(page, "review-today")
    section.get_by_role("button", name="Accept Ticket review").click()
    expect(page.get_by_role("alert")).to_contain_text("Accepted: Ticket review")
    expect(page.locator("#today-reviews")).to_have_count(0)

    area_links(page).get_by_text("Reviews", exact=True).click()
    expect(page.locator('[data-role="upcoming"]')).to_contain_text("Accepted")
    look_at(page, "review-index")
