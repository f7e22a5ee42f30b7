"""An employee acknowledges a new version of a quality definition from their home page, with and without JavaScript."""

import pytest
from playwright.sync_api import expect

from goals.models import Acknowledgement
from goals.services import definitions
from goals.services.definitions import CriterionRow
from tests.helpers import DESKTOP, TIMEOUT_MS, screenshot, sign_in
from tests.metrics.factories import MetricFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def tickets(org):
    """Support tickets at v2.0: the first reply got faster and a criterion was added, so bob is asked again."""
    reply_time = MetricFactory(department=org.support, name="First reply time", unit="h", direction="lower")
    definition = definitions.create_definition(
        by=org.alice,
        department=org.support,
        title="Support tickets",
        external_customers="customers who contact us by phone, e-mail or chat",
        promise="Every customer who contacts us gets a first reply within one working day.",
        criteria=[CriterionRow(text="First reply within 8 business hours", metric=reply_time, threshold=8)],
    )
    definitions.publish(definition=definition, major=True, change_summary="", by=org.alice)
    definitions.acknowledge(definition=definition, person=org.bob)
    definitions.save_draft(
        definition=definition,
        by=org.alice,
        promise="Every customer who contacts us gets a helpful first reply within four business hours, and most "
        "problems are solved in that first contact.",
        criteria=[
            CriterionRow(text="First reply within 4 business hours, 95% of tickets", metric=reply_time, threshold=4),
            CriterionRow(text="Problems solved in the first contact"),
        ],
    )
    definitions.publish(
        definition=definition,
        major=True,
        change_summary="First reply within 4 instead of 8 business hours; first-contact resolution added.",
        by=org.alice,
    )
    return definition


@pytest.fixture
def callbacks(org):
    definition = definitions.create_definition(
        by=org.alice,
        department=org.support,
        title="Callbacks",
        promise="We call back when we said we would.",
        criteria=[CriterionRow(text="Callbacks within the promised hour")],
    )
    definitions.publish(definition=definition, major=True, change_summary="", by=org.alice)
    return definition


def test_an_employee_acknowledges_a_new_version_from_today(page, org, tickets, callbacks):
    sign_in(page, "bob")
    section = page.locator("#today-definitions")
    expect(section).to_contain_text("To acknowledge")
    expect(section.get_by_role("link")).to_have_text(["Support tickets", "Callbacks", "Quality definitions"])
    screenshot(page, "today-to-acknowledge")

    section.get_by_role("link", name="Support tickets").click()
    expect(page).to_have_title("Support tickets · Keel")
    expect(page.get_by_text("Please read and acknowledge version 2.")).to_be_visible()
    expect(page.get_by_text("First reply within 4 business hours, 95% of tickets")).to_be_visible()
    expect(page.locator(".keel-diff ins").first).to_be_visible()  # what changed since v1.0
    screenshot(page, "definition-to-acknowledge")
    page.get_by_role("button", name="Acknowledge Support tickets").click()
    expect(page.locator("#acknowledge").get_by_role("status")).to_have_text(
        "✓ Acknowledged: Support tickets version 2. Thank you."
    )

    page.goto("/")
    section = page.locator("#today-definitions")
    expect(section.get_by_role("link", name="Support tickets")).to_have_count(0)
    section.get_by_role("button", name="Acknowledge Callbacks").click()
    expect(section.get_by_role("status")).to_have_text("✓ Acknowledged: Callbacks version 1. Thank you.")
    screenshot(page, "today-acknowledged")
    page.reload()
    expect(page.locator("#today-definitions")).to_have_count(0)
    assert not Acknowledgement.objects.filter(person=org.bob, acknowledged_at__isnull=True, major=2).exists()
    assert list(definitions.pending_acknowledgements(org.bob)) == []


def test_acknowledging_works_without_javascript(browser, live_server, org, tickets):
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, "bob")
        page.locator("#today-definitions").get_by_role("button", name="Acknowledge Support tickets").click()
        expect(page).to_have_title("Today · Keel")
        expect(page.get_by_role("alert")).to_contain_text("Thank you: you acknowledged “Support tickets” version 2.")
        expect(page.locator("#today-definitions")).to_have_count(0)
    finally:
        context.close()


def test_a_manager_writes_publishes_and_follows_a_definition(page, org):
    MetricFactory(department=org.support, name="First reply time", unit="h", direction="lower")
    sign_in(page, "alice")
    page.get_by_role("list", name="Areas").get_by_role("link", name="Definitions").click()
    page.get_by_role("link", name="New definition").click()
    page.locator("#id_department").select_option(value=str(org.support.pk))
    page.get_by_label("Product or service").fill("Support tickets")
    promise = "Every customer who writes to us gets a helpful first reply quickly."
    page.get_by_role("textbox", name="Promise").fill(promise)
    first = page.get_by_role("group", name="Criterion 1")
    first.get_by_label("Description").fill("First reply within 4 business hours, 95% of tickets")
    first.get_by_label("Threshold").fill("4")
    page.get_by_role("button", name="Save draft").click()

    expect(first.get_by_text("A threshold needs a metric")).to_be_visible()
    expect(page.get_by_role("textbox", name="Promise")).to_have_value(promise)  # nothing typed is lost
    screenshot(page, "definition-form-error")
    first.get_by_label("Metric (optional)").select_option(label="First reply time")
    page.get_by_role("button", name="Save draft").click()

    expect(page.get_by_text("This definition is a draft")).to_be_visible()
    page.get_by_role("link", name="Publish…").click()
    screenshot(page, "definition-publish")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("alert")).to_contain_text("Published v1.0. 2 people are asked to acknowledge it.")
    page.get_by_role("link", name="Coverage", exact=True).click()
    expect(page.get_by_role("heading", name="Who has acknowledged version 1")).to_be_visible()
    expect(page.locator("#missing")).to_contain_text("Bob Baker")
    screenshot(page, "definition-coverage")
    page.goto("/definitions/")
    expect(page.get_by_role("link", name="Support tickets")).to_be_visible()
    screenshot(page, "definition-list")
