"""Reality-check journey: a manager creates a campaign from a quality definition, draws the sample and sends it."""

import pytest
from playwright.sync_api import expect

from customers.models import Campaign, FollowUp
from tests.customers.factories import CustomerFactory, make_campaign, published_definition, respond
from tests.helpers import area_links, look_at, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_a_manager_creates_draws_and_sends_a_reality_check(page, org):
    for segment, count in (("retail", 12), ("online", 6), ("public sector", 2)):
        CustomerFactory.create_batch(count, department=org.support, segment=segment)
    definition = published_definition(
        department=org.support,
        criteria=("First reply within 4 business hours", "Solved at the first contact, or told when it will be"),
    )
    sign_in(page, "alice")

    area_links(page).get_by_text("Customers", exact=True).click()
    expect(page.locator("[data-customers] tbody tr")).to_have_count(20)
    screenshot(page, "customers-list")
    page.get_by_role("link", name="New reality check").first.click()
    page.get_by_label("Quality definition").select_option(str(definition.pk))
    page.get_by_label("Department").select_option(str(org.support.pk))
    page.get_by_label("Sample size").fill("10")
    page.get_by_label("Stratify by segment").check()
    page.get_by_label("Ends on").fill("2999-12-31")
    screenshot(page, "campaign-new")
    page.get_by_role("button", name="Create the campaign").click()

    expect(page.locator("[data-questions]")).to_contain_text("First reply within 4 business hours")
    look_at(page, "campaign-draft")
    page.get_by_role("link", name="Draw the sample…").click()
    expect(page.locator("[data-consequences]")).to_contain_text("choose 10 of the 20 eligible customers")
    expect(page.get_by_label("Seed")).to_be_hidden()  # tucked away under "Reproduce a draw"
    page.get_by_text("Reproduce a draw").click()
    page.get_by_label("Seed").fill("2026")
    look_at(page, "campaign-draw-confirm")
    page.get_by_role("button", name="Draw the sample").click()
    expect(page.locator("[data-eligible]")).to_have_text("20")
    expect(page.locator("[data-drawn]")).to_have_text("10")
    expect(page.locator("[data-seed]")).to_have_text("2026")
    expect(page.locator("[data-recipient]")).to_have_count(10)
    look_at(page, "campaign-drawn")

    page.get_by_role("link", name="Send…").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("to 10 customers?")
    expect(page.locator("[data-breakdown]")).to_contain_text("online")
    look_at(page, "campaign-send-confirm")
    page.get_by_role("link", name="Preview the e-mail").click()
    expect(page.locator("[data-subject]")).to_have_text("Support: how did we do?")
    expect(page.locator("[data-from]")).to_contain_text("Acme via Keel")
    look_at(page, "campaign-preview-email")
    page.get_by_role("link", name="Preview the answer page").click()
    expect(page.locator("[data-preview]")).to_be_visible()
    expect(page.get_by_role("button", name="Send my answers")).to_be_disabled()
    look_at(page, "campaign-preview-answer")
    assert Campaign.objects.get().status == Campaign.Status.DRAFT  # looking sent nothing
    page.go_back()
    page.go_back()
    page.get_by_role("button", name="Send to 10 customers").click()
    expect(page.get_by_role("status").or_(page.locator(".alert-success")).first).to_contain_text(
        "10 invitations are queued"
    )
    expect(page.locator("[data-status]").first).to_have_text("Sent")
    expect(page.locator("[data-waiting]")).to_be_visible()
    look_at(page, "campaign-sent")
    assert Campaign.objects.get().status == Campaign.Status.SENT


def test_a_manager_closes_follow_ups_in_bulk(page, org):
    campaign = make_campaign(org.support, questions=2)
    for n in range(3):
        respond(campaign, ["worse", "worse" if n else "as_promised"], comment=f"Comment {n}")
    sign_in(page, "alice")
    page.goto("/customers/results/follow-ups/")
    expect(page.locator("[data-follow-up]")).to_have_count(3)
    look_at(page, "follow-up-list")
    first = FollowUp.objects.order_by("pk").first()
    page.locator("[data-follow-up] a").first.click()
    expect(page.locator("[data-context]")).to_contain_text("Comment")
    look_at(page, "follow-up-context")
    page.go_back()
    for follow_up in FollowUp.objects.order_by("pk")[:2]:
        page.locator(f"#choose-{follow_up.pk}").check()
    page.get_by_label("With the chosen").select_option("close")
    page.get_by_label("Resolution note").fill("Called both back; fixed.")
    page.get_by_role("button", name="Continue…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Close 2 follow-ups?")
    look_at(page, "follow-up-bulk-confirm")
    assert FollowUp.objects.open().count() == 3
    page.get_by_role("button", name="Close 2 follow-ups").click()
    expect(page.locator("[data-follow-up]")).to_have_count(1)
    assert FollowUp.objects.closed().count() == 2 and FollowUp.objects.get(pk=first.pk).status == "closed"
