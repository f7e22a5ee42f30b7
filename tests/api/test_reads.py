"""What the read endpoints answer: figures, paging, the anonymity minimum, and bounded queries."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from tests.api.conftest import reading
from tests.customers.factories import make_campaign, respond
from tests.metrics.factories import MetricFactory


def test_metrics_page_by_cursor(org, as_token):
    for n in range(5):
        MetricFactory(department=org.support, code=f"m-{n}")
    api = as_token(org.alice, scope="read")
    first = api.get("/metrics", {"limit": 2}).json()
    second = api.get("/metrics", {"limit": 2, "cursor": first["next_cursor"]}).json()
    third = api.get("/metrics", {"limit": 2, "cursor": second["next_cursor"]}).json()
    codes = [m["code"] for page in (first, second, third) for m in page["items"]]
    assert codes == [f"m-{n}" for n in range(5)] and third["next_cursor"] is None
    assert api.get("/metrics", {"cursor": "%%%"}).status_code == 422


def test_a_metric_comes_with_its_targets(world, org, as_token):
    body = as_token(org.bob, scope="read").get(f"/metrics/{world.fcr.pk}").json()
    assert body["code"] == "fcr" and body["targets"] == [{"valid_from": None, "target": 90.0, "warning": 80.0}]


def test_an_internal_campaign_below_the_minimum_shows_nothing(org, as_token):
    campaign = make_campaign(org.support, audience=Customer.Kind.INTERNAL)
    respond(campaign, ["worse", "worse"], comment="The coffee machine", person=org.bob)
    body = as_token(org.alice, scope="read").get(f"/campaigns/{campaign.pk}/results").json()
    assert body["hidden"] is True and body["responses"] == 1
    assert body["questions"] == [] and body["comments"] == [] and body["gap"] is None
    follow_ups = as_token(org.alice, scope="read").get("/follow-ups", {"status": "all"}).json()["items"]
    assert [f for f in follow_ups if f["campaign_id"] == campaign.pk] == []


def test_a_goal_comes_with_its_progress(world, org, as_token):
    body = as_token(org.bob, scope="read").get(f"/goals/{world.goal.pk}").json()
    assert body["title"] == world.goal.title and "status" in body["progress"]


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def test_posting_readings_runs_as_many_queries_for_200_as_for_1(org, support_metrics, as_token):
    api = as_token(org.bob)
    one = _queries(lambda: api.post("/readings", {"readings": [reading()]}, headers={"Idempotency-Key": "a"}))
    rows = [reading(measured_at=f"2026-11-{1 + n // 24:02d}T{n % 24:02d}:00") for n in range(200)]
    many = _queries(lambda: api.post("/readings", {"readings": rows}, headers={"Idempotency-Key": "b"}))
    assert many <= one


def test_listing_metrics_runs_a_bounded_number_of_queries(org, as_token, django_assert_max_num_queries):
    for n in range(30):
        MetricFactory(department=org.support, code=f"m-{n}")
    api = as_token(org.alice, scope="read")
    # token and user, last use, managed paths, the page of metrics, their targets, and savepoints around them
    with django_assert_max_num_queries(8):
        assert api.get("/metrics", {"limit": 100}).status_code == 200
