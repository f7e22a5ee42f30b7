"""Signing in with a username or e-mail, wrong passwords, throttling, and signing out."""

from django.urls import reverse

from tests.helpers import PASSWORD

LOGIN = reverse("login")


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_it_signs_in_with_a_username_and_lands_on_today(client, org):
    response = sign_in(client, "bob")
    assert response.status_code == 302
    assert response.url == reverse("today")
    assert client.session.get("_auth_user_id") == str(org.bob.pk)


def test_it_signs_in_with_an_email_in_any_case(client, org):
    response = sign_in(client, "BOB@example.com")
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(org.bob.pk)


def test_a_wrong_password_shows_an_error_and_keeps_the_username(client, org):
    response = sign_in(client, "bob", "wrong")
    assert response.status_code == 200
    assert "do not match" in response.content.decode()
    assert 'value="bob"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_inactive_person_cannot_sign_in(client, org):
    org.bob.is_active = False
    org.bob.save()
    sign_in(client, "bob")
    assert "_auth_user_id" not in client.session


def test_it_locks_an_account_after_repeated_failures(client, org, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        sign_in(client, "bob", "wrong")
    response = sign_in(client, "bob")  # the right password, but too late
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lock_counts_the_email_and_username_of_one_account_separately_from_others(client, org, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        sign_in(client, "bob", "wrong")
    sign_in(client, "alice")
    assert client.session.get("_auth_user_id") == str(org.alice.pk)


def test_it_locks_an_address_that_tries_many_accounts(client, org, settings):
    settings.LOGIN_FAILURE_LIMIT = 1
    for n in range(5):  # 5 = the address factor times the limit
        sign_in(client, f"nobody{n}", "wrong")
    response = sign_in(client, "alice")
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_a_success_clears_the_failures(client, org, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    sign_in(client, "bob", "wrong")
    sign_in(client, "bob", "wrong")
    sign_in(client, "bob")
    client.logout()
    sign_in(client, "bob", "wrong")
    sign_in(client, "bob", "wrong")
    sign_in(client, "bob")
    assert client.session.get("_auth_user_id") == str(org.bob.pk)


def test_sign_out_needs_a_post_and_ends_the_session(client, org):
    client.force_login(org.bob)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_admin_login_page_sends_people_to_the_one_sign_in_page(client, org):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)
