"""The token pages: create (shown once), list with last use, revoke; service accounts for admins only."""

from api.models import ApiToken, ServiceAccount
from tests.helpers import signed_in


def test_a_person_creates_a_token_and_sees_it_once(org, client):
    signed_in(client, org.bob)
    answer = client.post("/account/api/tokens/", {"name": "Help desk", "scope": "read_write", "lifetime": 90})
    assert answer.status_code == 200
    token = ApiToken.objects.get(user=org.bob)
    secret = answer.context["issued"].secret
    assert secret in answer.content.decode()
    again = client.get("/account/api/tokens/")
    assert secret not in again.content.decode()
    assert token.hint in again.content.decode()


def test_a_person_revokes_their_token_but_not_someone_elses(org, client):
    from tests.api.conftest import token_for

    token_for(org.bob)
    token_for(org.alice)
    bobs, alices = ApiToken.objects.get(user=org.bob), ApiToken.objects.get(user=org.alice)
    signed_in(client, org.bob)
    assert client.post(f"/account/api/tokens/{alices.pk}/revoke/").status_code == 404
    assert client.post(f"/account/api/tokens/{bobs.pk}/revoke/").status_code == 302
    bobs.refresh_from_db()
    alices.refresh_from_db()
    assert bobs.revoked_at is not None and alices.revoked_at is None


def test_only_admins_see_service_accounts(org, client):
    signed_in(client, org.alice)
    assert client.get("/account/api/service-accounts/").status_code == 404


def test_an_admin_creates_a_service_account_and_its_token(org, client):
    signed_in(client, org.admin)
    answer = client.post(
        "/account/api/service-accounts/",
        {"username": "erp-sync", "description": "ERP", "departments": [org.sales.pk]},
    )
    account = ServiceAccount.objects.get()
    assert answer.status_code == 302
    page = client.post(
        f"/account/api/service-accounts/{account.pk}/", {"name": "Nightly", "scope": "read_write", "lifetime": 30}
    )
    assert page.context["issued"].secret.startswith("keel_sat_")
    assert "Created" in page.content.decode()  # the audit trail


def test_the_connect_page_shows_a_curl_example(org, client):
    signed_in(client, org.bob)
    answer = client.get("/account/api/connect/")
    assert answer.status_code == 200
    assert "curl -X POST http://testserver/api/v1/readings" in answer.content.decode()


def test_an_admin_deactivates_a_service_account_and_its_tokens_are_refused(org, client):
    from api import services
    from tests.api.conftest import ApiClient, token_for

    account = services.create_service_account(by=org.admin, username="erp", description="", departments=[org.sales])
    api = ApiClient(client, token_for(account.user, by=org.admin))
    assert api.get("/metrics").status_code == 200
    signed_in(client, org.alice)
    assert client.post(f"/account/api/service-accounts/{account.pk}/deactivate/").status_code == 404
    signed_in(client, org.admin)
    assert client.post(f"/account/api/service-accounts/{account.pk}/deactivate/").status_code == 302
    client.logout()
    assert api.get("/metrics").status_code == 401


def test_a_department_id_no_database_holds_is_an_invalid_choice_not_a_500(org, client):
    """SQLite raised OverflowError for it in the IN (...) list (Django's multiple choice field checks only
    each value alone); core.forms.ModelMultipleChoiceField refuses it first."""
    signed_in(client, org.admin)
    for odd in ["99999999999999999999999", "²"]:
        answer = client.post("/account/api/service-accounts/", {"username": "erp-sync", "departments": [odd]})
        assert answer.status_code == 200 and "is not a valid value" in answer.content.decode()
    assert not ServiceAccount.objects.exists()


def test_revoking_or_deactivating_twice_acts_and_is_audited_once(org, client):
    from api import services
    from api.models import TokenEvent
    from tests.api.conftest import token_for

    account = services.create_service_account(by=org.admin, username="erp", description="", departments=[org.sales])
    token_for(account.user, by=org.admin)
    token = ApiToken.objects.get(user=account.user)
    signed_in(client, org.admin)
    for _ in range(2):
        answer = client.post(f"/account/api/tokens/{token.pk}/revoke/", follow=True)
    assert "was revoked already" in answer.content.decode()
    for _ in range(2):
        answer = client.post(f"/account/api/service-accounts/{account.pk}/deactivate/", follow=True)
    assert "was deactivated already" in answer.content.decode()
    actions = list(TokenEvent.objects.values_list("action", flat=True))
    assert actions.count(TokenEvent.Action.REVOKED) == 1
    assert actions.count(TokenEvent.Action.ACCOUNT_DEACTIVATED) == 1
