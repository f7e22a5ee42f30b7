"""Journeys: a customer answers on a phone and cannot answer twice; the manager sees the gap and makes it a goal."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from goals.models import GoalCycle
from tests.customers.factories import make_campaign, make_recipient, respond
from tests.helpers import PHONE, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_customer_answers_on_a_phone_once(page, org):
    campaign = make_campaign(org.support, questions=2)
    _recipient, token = make_recipient(campaign)
    page.set_viewport_size(PHONE)
    page.goto(f"/r/{token}/")
    expect(page.get_by_text("What we promised you")).to_be_visible()
    expect(page.get_by_text(campaign.version.promise)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "customer-answer-form")

    first, second = campaign.questions.all()
    page.locator(f"#question-{first.pk}").get_by_text("2 · Worse than promised", exact=True).click()
    page.get_by_role("button", name="Save for later").click()
    expect(page.get_by_text("Your answers are saved")).to_be_visible()
    expect(page.locator(f"#question-{first.pk} input[value='2']")).to_be_checked()

    page.locator(f"#question-{second.pk}").get_by_text("4 · As promised", exact=True).click()
    page.get_by_label("Anything else").fill("The fix took three days.")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    screenshot(page, "customer-answer-thanks")

    page.goto(f"/r/{token}/")
    expect(page.get_by_role("heading", name="Already answered")).to_be_visible()
    screenshot(page, "customer-answer-used")
    assert campaign.responses.count() == 1


def test_the_manager_sees_the_gap_and_creates_a_goal(page, org):
    year = date.today().year
    GoalCycle.objects.create(name=str(year), start=date(year, 1, 1), end=date(year, 12, 31))
    campaign = make_campaign(org.support, questions=2)
    for n in range(6):
        respond(
            campaign,
            ["worse" if n < 4 else "as_promised", "better"],
            nps=n + 4,
            csat=2 + n % 3,
            comment=f"Comment number {n}",
        )
    sign_in(page, "alice")
    page.goto(f"/customers/results/{campaign.pk}/")
    worst = campaign.questions.first()
    expect(page.locator(f"[data-question='{worst.pk}']")).to_contain_text("gap 67")
    expect(page.get_by_text("Few answers (6)").first).to_be_visible()
    screenshot(page, "customer-results")

    page.get_by_role("button", name="Create a goal from this gap").click()
    expect(page).to_have_url(re.compile(r"/goals/new/\?cycle="))
    assert f"department={org.support.pk}" in page.url and f"quality_definition={campaign.definition_id}" in page.url
    # The goal is measured on the criterion's gap, from this campaign's gap as its baseline.
    assert "metric=" in page.url and "baseline=66.7" in page.url
    expect(page.get_by_label("Title")).to_be_visible()
    screenshot(page, "customer-gap-goal")
