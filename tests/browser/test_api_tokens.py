"""Journey: a person creates an API token, sees it once, a tool uses it to post a reading, the person revokes it;
and the API docs page runs under the content security policy."""

import pytest
from playwright.sync_api import expect

from metrics.models import Reading
from tests.helpers import look_at, open_user_menu, sign_in
from tests.metrics.factories import MetricFactory

pytestmark = pytest.mark.browser


def test_a_person_creates_uses_and_revokes_a_token(page, org):
    MetricFactory(department=org.support, code="fcr", name="First-contact resolution", min_value=0, max_value=100)
    sign_in(page, "bob")
    open_user_menu(page).get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    page.get_by_label("Name").fill("Help desk")
    page.get_by_label("Scope").select_option("read_write")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token").input_value()
    assert secret.startswith("keel_pat_")
    look_at(page, "api-tokens")

    # A tool (here Playwright's request context, as curl would) posts a reading with it.
    answer = page.request.post(
        "/api/v1/readings",
        headers={"Authorization": f"Bearer {secret}"},
        data={"readings": [{"metric": "fcr", "person": "bob", "measured_at": "2026-11-02T14:30", "value": 87.5}]},
    )
    assert answer.status == 200, answer.text()
    assert answer.json()["created"] == 1
    assert Reading.objects.get().source == "api"

    page.goto("/account/api/tokens/")  # the secret is not shown again
    expect(page.locator("#new-token")).to_have_count(0)
    row = page.locator('[data-token="Help desk"]')
    expect(row).to_contain_text("active")
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator('[data-token="Help desk"]')).to_contain_text("revoked")
    refused = page.request.get("/api/v1/metrics", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status == 401
    assert refused.headers["content-type"] == "application/problem+json"

    page.get_by_role("link", name="Connect your tools").click()
    expect(page.locator("pre")).to_contain_text("curl -X POST")
    look_at(page, "api-connect")


def test_the_api_docs_run_under_the_policy(page, org):
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto("/api/v1/docs")
    expect(page.get_by_text("/api/v1/readings").first).to_be_visible()
    assert blocked == []
