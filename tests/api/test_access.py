"""Denials, endpoint by endpoint: another department's objects are 404, a read token cannot write (403), a
missing, revoked or expired token is 401, and a service account acts only for its departments."""

from datetime import timedelta

import pytest
from django.utils import timezone

from api import services
from api.models import ApiToken, TokenEvent
from tests.api.conftest import ApiClient, reading, token_for


def reads(w):
    """(path, params) of every read endpoint, each about Support's objects."""
    return [
        (f"/metrics/{w.fcr.pk}", {}),
        (f"/metrics/{w.fcr.pk}/rollups", {}),
        (f"/departments/{w.fcr.department_id}/dashboard", {}),
        (f"/departments/{w.fcr.department_id}/scorecard", {}),
        (f"/goals/{w.goal.pk}", {}),
        (f"/definitions/{w.definition.pk}", {}),
        (f"/campaigns/{w.campaign.pk}/results", {}),
    ]


def writes(w):
    """(method, path, body) of every write endpoint, each about Support's objects."""
    return [
        ("post", "/readings", {"readings": [reading()]}),
        ("post", f"/goals/{w.goal.pk}/check-ins", {"note": "Better", "confidence": 7}),
        ("patch", f"/follow-ups/{w.follow_up.pk}", {"status": "closed", "resolution": "Called back."}),
        ("put", f"/departments/{w.fcr.department_id}/customers", {"email": "new@example.com", "name": "New"}),
    ]


def send(api: ApiClient, method: str, path: str, body):
    if method == "put":
        import json

        return api.client.put(f"/api/v1{path}", json.dumps(body), content_type="application/json", **api._headers(None))
    return getattr(api, method)(path, body)


def test_alice_can_read_everything_of_support(world, org, as_token):
    api = as_token(org.alice, scope="read")
    for path, params in reads(world):
        assert api.get(path, params).status_code == 200, path


def test_charlie_gets_404_for_everything_of_support(world, org, as_token):
    api = as_token(org.charlie)
    for path, params in reads(world):
        answer = api.get(path, params)
        assert answer.status_code == 404, path
        assert answer["Content-Type"] == "application/problem+json"
    for method, path, body in writes(world)[1:]:
        assert send(api, method, path, body).status_code == 404, path


def test_charlie_cannot_record_support_readings(world, org, as_token):
    answer = as_token(org.charlie).post("/readings", {"readings": [reading()]})
    assert answer.status_code == 422
    assert "You may not record" in answer.json()["errors"][0]["detail"]


def test_lists_hold_only_what_the_user_may_see(world, org, as_token):
    api = as_token(org.charlie, scope="read")
    assert [m["code"] for m in api.get("/metrics").json()["items"]] == ["deliveries"]
    assert [g["id"] for g in api.get("/goals").json()["items"]] == [world.sales_goal.pk]
    assert api.get("/campaigns").json()["items"] == []
    assert api.get("/follow-ups", {"status": "all"}).json()["items"] == []
    assert world.definition.pk not in [d["id"] for d in api.get("/definitions").json()["items"]]


def test_a_read_token_cannot_write(world, org, as_token):
    api = as_token(org.alice, scope="read")
    for method, path, body in writes(world):
        answer = send(api, method, path, body)
        assert answer.status_code == 403, path
        assert answer.json()["type"].endswith("/forbidden")


def test_alice_can_write_everything_of_support(world, org, as_token):
    api = as_token(org.alice)
    statuses = [send(api, method, path, body).status_code for method, path, body in writes(world)]
    assert statuses == [200, 201, 200, 201]  # a reading of bob (whom she manages), a check-in, a close, a customer


@pytest.mark.parametrize("how", ["missing", "wrong", "revoked", "expired", "inactive"])
def test_no_usable_token_is_401(world, org, client, how):
    secret = token_for(org.alice)
    token = ApiToken.objects.get()
    if how == "revoked":
        services.revoke_token(token=token, by=org.alice)
    elif how == "expired":
        ApiToken.objects.filter(pk=token.pk).update(
            created_at=timezone.now() - timedelta(days=2), expires_at=timezone.now() - timedelta(seconds=1)
        )
    elif how == "inactive":
        type(org.alice).objects.filter(pk=org.alice.pk).update(is_active=False)
    api = ApiClient(client, {"missing": None, "wrong": secret[:-2] + "xx"}.get(how, secret))
    for path, params in reads(world)[:2]:
        answer = api.get(path, params)
        assert answer.status_code == 401, (how, path)
        assert answer["WWW-Authenticate"].startswith("Bearer")
    assert api.post("/readings", {"readings": [reading()]}).status_code == 401


def test_revoking_is_audited_and_refused_at_once(world, org, as_token, client):
    secret = token_for(org.bob)
    api = ApiClient(client, secret)
    assert api.get("/metrics").status_code == 200
    services.revoke_token(token=ApiToken.objects.get(), by=org.bob)
    assert api.get("/metrics").status_code == 401
    assert list(TokenEvent.objects.values_list("action", flat=True).order_by("at")) == ["created", "revoked"]


def test_a_service_account_acts_only_for_its_departments(world, org, client):
    account = services.create_service_account(by=org.admin, username="erp", description="ERP", departments=[org.sales])
    api = ApiClient(client, token_for(account.user, by=org.admin))
    own = api.post("/readings", {"readings": [reading(metric="deliveries", person=None)]})
    assert own.status_code == 200, own.content
    other = api.post("/readings", {"readings": [reading()]})
    assert other.status_code == 422
    assert "You may not record" in other.json()["errors"][0]["detail"]
    assert api.get(f"/metrics/{world.fcr.pk}").status_code == 404
    assert api.get(f"/departments/{org.sales.pk}/dashboard").status_code == 200
    assert api.get(f"/goals/{world.goal.pk}").status_code == 404


def test_a_service_account_cannot_sign_in_and_only_admins_create_them(org):
    from core.exceptions import RuleViolation

    with pytest.raises(RuleViolation):
        services.create_service_account(by=org.alice, username="x", description="", departments=[org.support])
    account = services.create_service_account(by=org.admin, username="erp", description="", departments=[org.sales])
    assert not account.user.has_usable_password()


def test_a_person_cannot_issue_tokens_for_someone_else(org):
    from core.exceptions import RuleViolation

    with pytest.raises(RuleViolation):
        services.issue_token(
            user=org.bob, by=org.alice, name="x", scope="read", expires_at=timezone.now() + timedelta(days=1)
        )


def test_the_token_is_stored_hashed(org):
    secret = token_for(org.bob)
    token = ApiToken.objects.get()
    assert secret.startswith("keel_pat_") and len(secret) > 40
    assert secret not in (token.digest, token.hint) and token.digest == services.digest(secret)


def test_last_use_is_written_at_most_once_a_minute(world, org, client, django_assert_max_num_queries):
    api = ApiClient(client, token_for(org.bob))
    api.get("/metrics")
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    api.get("/metrics")
    assert ApiToken.objects.get().last_used_at == first


@pytest.mark.parametrize("method", ["put", "delete"])
def test_a_method_a_path_does_not_take_is_a_405_problem(world, org, as_token, method):
    api = as_token(org.alice)
    answer = getattr(api.client, method)("/api/v1/readings", **api._headers(None))
    assert answer.status_code == 405
    assert answer["Content-Type"] == "application/problem+json"
    assert answer["Allow"] == "POST"
    problem = answer.json()
    assert problem["status"] == 405 and problem["type"].endswith("/method-not-allowed")
    assert method.upper() in problem["detail"]


def test_an_upsert_beaten_to_the_insert_by_its_twin_updates_instead(org, as_token, monkeypatch):
    from api.endpoints import customers as endpoint
    from customers.models import Customer

    api = as_token(org.alice)
    path = f"/departments/{org.support.pk}/customers"
    assert send(api, "put", path, {"email": "jo@example.com", "name": "Jo"}).status_code == 201
    looked = []
    real = endpoint._existing_customer

    def late(department, email):  # the first look-up misses: the twin's insert had not committed yet
        looked.append(email)
        return None if len(looked) == 1 else real(department, email)

    monkeypatch.setattr(endpoint, "_existing_customer", late)
    answer = send(api, "put", path, {"email": "JO@example.com", "name": "Jo Twin"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["created"] is False
    assert Customer.objects.get(department=org.support, email__iexact="jo@example.com").name == "Jo Twin"
