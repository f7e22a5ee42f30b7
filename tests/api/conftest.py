"""API fixtures: tokens for the alice / bob / charlie organization, and a client that sends one."""

from datetime import timedelta

import pytest
from django.utils import timezone

from api import services
from metrics.models import Metric
from tests.metrics.factories import MetricFactory, TargetFactory


def token_for(user, *, scope="read_write", days=30, by=None) -> str:
    """A new token's secret for user (issued by `by`, the user themselves by default)."""
    return services.issue_token(
        user=user,
        by=by or user,
        name=f"{user.username} {scope}",
        scope=scope,
        expires_at=timezone.now() + timedelta(days=days),
    ).secret


class ApiClient:
    """The test client, sending a bearer token and JSON."""

    def __init__(self, client, secret: str | None):
        self.client = client
        self.secret = secret

    def _headers(self, headers):
        sent = {"HTTP_AUTHORIZATION": f"Bearer {self.secret}"} if self.secret else {}
        for name, value in (headers or {}).items():
            sent["HTTP_" + name.upper().replace("-", "_")] = value
        return sent

    def get(self, path, params=None, headers=None):
        return self.client.get(f"/api/v1{path}", params or {}, **self._headers(headers))

    def post(self, path, body=None, headers=None, raw=None):
        data = raw if raw is not None else __import__("json").dumps(body or {})
        return self.client.post(f"/api/v1{path}", data, content_type="application/json", **self._headers(headers))

    def patch(self, path, body=None, headers=None):
        data = __import__("json").dumps(body or {})
        return self.client.patch(f"/api/v1{path}", data, content_type="application/json", **self._headers(headers))


@pytest.fixture
def as_token(client):
    """as_token(user, scope="read_write") -> an ApiClient using a fresh token of the user."""

    def make(user, scope="read_write", **kwargs):
        return ApiClient(client, token_for(user, scope=scope, **kwargs))

    return make


@pytest.fixture
def support_metrics(org):
    """A per-person metric of Support (with a target) and a department metric of Sales."""
    fcr = MetricFactory(department=org.support, code="fcr", name="First-contact resolution", min_value=0, max_value=100)
    TargetFactory(metric=fcr, target=90, warning=80)
    deliveries = MetricFactory(
        department=org.sales, code="deliveries", name="On-time deliveries", owner_kind=Metric.Owner.DEPARTMENT
    )
    return fcr, deliveries


def reading(**fields):
    row = {"metric": "fcr", "person": "bob", "measured_at": "2026-11-20T10:00:00+00:00", "value": 87.5}
    row.update(fields)
    return row


@pytest.fixture
def world(org, support_metrics):
    """One of everything in Support (alice manages it, bob works in it), and a goal in Sales (charlie's)."""
    from customers.models import FollowUp
    from tests.customers.factories import make_campaign, make_customer, respond
    from tests.goals.factories import GoalFactory, QualityDefinitionFactory

    fcr, deliveries = support_metrics
    campaign = make_campaign(org.support)
    respond(campaign, ["worse", "as_promised"])
    return type(
        "World",
        (),
        {
            "fcr": fcr,
            "deliveries": deliveries,
            "goal": GoalFactory(department=org.support, owner=org.bob, metric=fcr, target=95, baseline=80),
            "sales_goal": GoalFactory(department=org.sales, owner=org.charlie),
            "definition": campaign.definition,
            "sales_definition": QualityDefinitionFactory(department=org.sales),
            "campaign": campaign,
            "follow_up": FollowUp.objects.filter(campaign=campaign).first(),
            "customer": make_customer(org.support),
        },
    )
