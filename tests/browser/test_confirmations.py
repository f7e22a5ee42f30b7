"""Every irreversible action outside scorecards asks once on the shared confirmation page, and does it on the
second click: cancelling a review session, closing a goal cycle, archiving a metric, retiring a definition."""

import pytest
from playwright.sync_api import expect

from goals.models import GoalCycle
from metrics.models import Metric
from tests.goals.factories import GoalCycleFactory, GoalFactory, QualityDefinitionFactory
from tests.helpers import look_at, sign_in
from tests.metrics.factories import MetricFactory
from tests.reviews.factories import ReviewSessionFactory

pytestmark = pytest.mark.browser


def test_an_admin_is_asked_once_before_each_irreversible_action(page, org):
    session = ReviewSessionFactory(title="Support review", facilitator=org.alice, invite=[org.bob, org.charlie])
    cycle = GoalCycleFactory()
    GoalFactory(cycle=cycle, title="Answer every customer within a day")
    metric = MetricFactory(department=org.support, name="Callbacks", code="callbacks")
    definition = QualityDefinitionFactory(department=org.support, title="Support tickets")
    sign_in(page, "root")

    page.goto(f"/reviews/sessions/{session.pk}/cancel/")
    asked = page.locator("[data-confirmation]")
    expect(asked).to_contain_text("2 people not e-mailed yet never hear of it.")
    look_at(page, "confirm-session-cancel")
    asked.get_by_role("button", name="Cancel the session").click()
    expect(page.locator(".alert-success")).to_contain_text("Cancelled; 0 invitees will be told.")

    page.goto(f"/goals/cycles/{cycle.pk}/close/")
    asked = page.locator("[data-confirmation]")
    expect(asked).to_contain_text("The final progress of its 1 goal is recorded and frozen.")
    expect(asked.locator("[data-items]")).to_contain_text("Organization: 1 goal")
    look_at(page, "confirm-cycle-close")
    asked.get_by_role("button", name=f"Close {cycle} and freeze its goals").click()
    expect(page.locator(".alert-success")).to_contain_text("the final progress of 1 goal is recorded")
    assert GoalCycle.objects.get(pk=cycle.pk).is_closed

    page.goto(f"/metrics/{metric.pk}/")
    page.get_by_role("button", name="Archive…").click()
    asked = page.locator("[data-confirmation]")
    expect(asked).to_contain_text("Its 0 readings and its history stay readable")
    look_at(page, "confirm-metric-archive")
    asked.get_by_role("button", name="Archive the metric").click()
    expect(page.locator(".alert-success")).to_contain_text("is archived")
    assert Metric.objects.get(pk=metric.pk).is_archived

    page.goto(f"/definitions/{definition.pk}/retire/")
    asked = page.locator("[data-confirmation]")
    expect(asked.get_by_role("heading", name="Retire “Support tickets”?")).to_be_visible()
    look_at(page, "confirm-definition-retire")
    asked.get_by_role("button", name="Retire it").click()
    expect(page.locator(".alert-success")).to_contain_text("is retired")
