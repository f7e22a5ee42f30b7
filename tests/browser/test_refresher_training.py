"""Journeys: an employee due a refresher takes the check from Today, fails, and sees what they missed and that a
refresher is due; a manager opens the compliance report of their department."""

import pytest
from playwright.sync_api import expect

from tests.goals.factories import QualityDefinitionFactory
from tests.helpers import screenshot, sign_in
from tests.reviews.factories import RefresherProgrammeFactory, complete, make_quiz, take

pytestmark = pytest.mark.browser


@pytest.fixture
def scene(org):
    definition = QualityDefinitionFactory(department=org.support, title="Support tickets")
    quiz = make_quiz(definition, pass_mark=75)
    RefresherProgrammeFactory(
        name="Customer service: every 6 months", definitions=[definition], departments=[org.support]
    )
    complete(org.bob, definition, days_ago=170)  # due within the month
    complete(org.alice, definition, days_ago=12)
    return definition, quiz


def answer(page, question: str, option: str) -> None:
    page.locator("fieldset[data-question]", has_text=question).get_by_label(option, exact=True).check()


def test_an_employee_fails_the_check_and_sees_what_they_missed(page, org, scene):
    sign_in(page, "bob")
    section = page.locator(f"#refresher-due-{scene[0].pk}")
    expect(section).to_contain_text("Support tickets")
    expect(section).to_contain_text("Due")
    section.get_by_role("link", name="Take the check").click()

    expect(page).to_have_title("Check: Support tickets · Keel")
    expect(page.locator("fieldset[data-question]")).to_have_count(4)
    assert "explanation" not in page.content().lower()
    answer(page, "How fast is the first reply?", "Within a week")
    answer(page, "Most problems are solved in the first contact.", "True")
    answer(page, "Who measures satisfaction?", "Managers")
    answer(page, "Tickets may wait until Monday.", "False")
    screenshot(page, "refresher-check")
    page.get_by_role("button", name="Submit my answers").click()

    result = page.locator("[data-result]")
    expect(result).to_have_attribute("data-result", "failed")
    expect(result).to_contain_text("50%")
    expect(result).to_contain_text("A refresher on Support tickets is due")
    missed = page.get_by_role("region", name="What you missed (2)")
    expect(missed).to_contain_text("The promise says four business hours.")
    expect(missed).to_contain_text("Customers answer the CSAT survey.")
    screenshot(page, "refresher-result-failed")

    page.get_by_role("link", name="My training").last.click()
    row = page.locator(f'tr[data-definition="{scene[0].pk}"]')
    expect(row).to_contain_text("Failed the check")
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "due")
    screenshot(page, "refresher-my-training")


def test_a_manager_opens_the_compliance_report(page, org, scene):
    _definition, quiz = scene
    take(quiz, org.bob, wrong=2)
    sign_in(page, "alice")
    page.goto("/reviews/training/compliance/")
    expect(page).to_have_title("Refresher compliance · Keel")
    people = page.get_by_role("region", name="People (2)")
    expect(people.get_by_role("row", name="Bob Baker")).to_contain_text("Due")
    expect(people.get_by_role("row", name="Alice Archer")).to_contain_text("Current")
    expect(page.locator("[data-weak-question]").first).to_contain_text("How fast is the first reply?")
    expect(page.get_by_role("link", name="Excel")).to_be_visible()
    screenshot(page, "refresher-compliance")
