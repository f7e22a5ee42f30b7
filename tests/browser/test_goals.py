"""Goals journeys: a manager sets a goal letter by letter until it is S.M.A.R.T.; the cascade opens from the
organization down to a team."""

from datetime import date

import pytest
from playwright.sync_api import expect

from tests.goals.factories import GoalCycleFactory, GoalFactory, record_weekly, this_year
from tests.helpers import area_links, screenshot, sign_in
from tests.metrics.factories import MetricFactory

pytestmark = pytest.mark.browser


def letters(page, state: str):
    return page.locator(f'[data-role="letters"] li[data-state="{state}"]')


def test_a_manager_fixes_each_letter_and_saves_a_goal_aligned_to_an_organization_goal(page, org):
    cycle = GoalCycleFactory()
    GoalFactory(cycle=cycle, title="Delight customers", owner=org.admin)
    reply_time = MetricFactory(
        department=org.support, name="First reply time", unit="h", direction="lower", min_value=0
    )
    record_weekly(org, reply_time, [5, 4.5, 4.8], first=date(this_year(), 1, 5))  # the best week: 4.5 hours
    sign_in(page, "alice")

    area_links(page).get_by_text("Goals", exact=True).click()
    page.get_by_role("link", name="New goal").click()
    page.get_by_label("Set for").select_option(str(org.support.pk))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="New goal for Support")).to_be_visible()

    page.get_by_label("Title").fill("Faster replies")
    page.get_by_label("Description").fill("Faster replies")
    page.get_by_label("Due date").fill(f"{this_year() + 1}-03-31")
    page.get_by_role("button", name="Save goal").click()

    expect(page.locator('[data-role="form-errors"]')).to_contain_text("5 letters need attention")
    expect(letters(page, "fail")).to_have_count(5)
    expect(page.get_by_text("The description only repeats the title")).to_have_count(2)  # field and panel
    screenshot(page, "goal-form-errors")

    page.get_by_label("Description").fill("Every customer hears from us within four hours, on every channel.")
    page.get_by_label("Metric").select_option(label="First reply time (Support, h)")
    page.get_by_label("Baseline").fill("5")
    page.get_by_label("Target").fill("2")
    page.get_by_label("Direction").select_option(label="Decrease to the target")
    page.get_by_label("Owner").select_option(label="Bob Baker")
    page.get_by_label("Confidence (1–10)").fill("6")
    page.get_by_label("Delight customers", exact=True).check()
    page.get_by_label("Due date").fill(f"{this_year()}-12-31")
    page.get_by_role("button", name="Save goal").click()

    # Four letters met; the target is far beyond the best week so far, which must be accepted, not refused.
    expect(letters(page, "pass")).to_have_count(4)
    expect(letters(page, "warn")).to_contain_text("far beyond anything so far")
    screenshot(page, "goal-form-stretch")
    page.get_by_label("I accept this stretch target").check()
    page.get_by_role("button", name="Save goal").click()

    expect(page.get_by_role("heading", name="Faster replies", level=1)).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("all five letters are met")
    expect(letters(page, "pass")).to_have_count(5)
    expect(page.locator('[data-role="parents"]')).to_contain_text("Delight customers")
    expect(page.locator('[data-role="changes"]')).to_contain_text("Alice Archer")
    screenshot(page, "goal-page")


def test_the_cascade_opens_from_the_organization_down_to_a_team(page, org):
    cycle = GoalCycleFactory()
    top = GoalFactory(cycle=cycle, title="Delight customers", owner=org.admin)
    division = GoalFactory(
        cycle=cycle, department=org.support, title="Resolve on first contact", owner=org.alice, parents=[top]
    )
    GoalFactory(
        cycle=cycle,
        department=org.front_line,
        title="Reply within four hours",
        owner=org.bob,
        parents=[division],
        milestones=[("Rota", 1, date(this_year(), 1, 12)), ("Templates", 1, None)],
    )
    GoalFactory(cycle=cycle, department=org.sales, title="Promise what we keep", owner=org.charlie, parents=[top])
    sign_in(page, "bob")

    area_links(page).get_by_text("Goals", exact=True).click()
    cascade = page.locator('[data-role="cascade"]')
    expect(cascade.get_by_role("link", name="Delight customers")).to_be_visible()
    expect(cascade.get_by_role("link", name="Resolve on first contact")).to_be_hidden()

    cascade.locator("summary").filter(has_text="Delight customers").locator(".toggle").click()
    expect(cascade.get_by_role("link", name="Resolve on first contact")).to_be_visible()
    expect(cascade.get_by_text("Promise what we keep")).to_have_count(0)  # Sales' goal is not bob's to see
    cascade.locator("summary").filter(has_text="Resolve on first contact").locator(".toggle").click()
    team = cascade.locator("[data-goal]").filter(has_text="Reply within four hours")
    expect(team).to_be_visible()
    expect(team.locator('[data-role="percent"]')).to_have_text("50%")
    screenshot(page, "goal-cascade")

    team.get_by_role("link", name="Reply within four hours").click()
    expect(page.locator('[data-role="parents"]').locator("li")).to_have_text(
        ["Delight customers · Organization", "Resolve on first contact · Support", "Reply within four hours"]
    )
    expect(page.locator("canvas[data-goal-chart]")).to_be_visible()
    screenshot(page, "goal-team-page")
