"""An admin subscribes a receiver to Keel's events, sends a test event and sees it delivered."""

import json

import pytest
from playwright.sync_api import expect

from tests.helpers import look_at, open_user_menu, sign_in
from tests.webhooks.receiver import running_receiver
from webhooks.models import Subscription

pytestmark = pytest.mark.browser


def test_admin_subscribes_a_receiver_and_sees_the_test_event_delivered(page, org):
    with running_receiver() as receiver:
        sign_in(page, "root")
        open_user_menu(page).get_by_role("link", name="Webhooks").click()
        expect(page.get_by_role("heading", name="Webhooks")).to_be_visible()
        page.get_by_role("link", name="Add a subscription").click()

        page.get_by_label("Name").fill("Help desk")
        page.get_by_label("URL").fill(receiver.url)
        page.get_by_label("Department").select_option(label="Support")
        page.get_by_label("A customer follow-up is opened").check()
        page.get_by_label("A reality-check campaign is closed").check()
        look_at(page, "webhooks-form")
        page.get_by_role("button", name="Save").click()
        # The receiver is on this machine: refused until an admin allows private targets.
        expect(page.get_by_text("127.0.0.1, this machine (loopback)")).to_be_visible()
        page.get_by_label("Allow private targets").check()
        page.get_by_role("button", name="Save").click()

        expect(page.get_by_role("heading", name="Help desk")).to_be_visible()
        secret = Subscription.objects.get().secret
        expect(page.locator("[data-secret]")).to_have_text(secret)  # shown once, right after creating

        page.get_by_role("button", name="Send a test event").click()
        expect(page.get_by_text("Test event queued")).to_be_visible()
        row = page.get_by_role("table", name="Deliveries").locator("tbody tr").first
        expect(row).to_contain_text("webhook.test")
        expect(row).to_contain_text("Delivered")
        expect(row.locator("[data-status-code]")).to_have_text("200")
        expect(page.locator("[data-secret]")).to_have_count(0)  # hidden again
        look_at(page, "webhooks-detail")

        [request] = receiver.requests
        assert json.loads(request["body"])["type"] == "webhook.test"
        assert request["headers"]["webhook-signature"].startswith("v1,")

        page.get_by_role("link", name="Webhooks").first.click()
        expect(page.locator("[data-subscription='Help desk']")).to_contain_text("Support")
        look_at(page, "webhooks-list")
