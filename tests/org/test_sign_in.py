"""Signing in with a username or e-mail, wrong passwords, throttling (django-axes), and signing out."""

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


OFFICE = {"REMOTE_ADDR": "198.51.100.20"}
HOME = {"REMOTE_ADDR": "203.0.113.7"}


def test_it_locks_an_account_after_repeated_failures_from_one_address(client, org, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        sign_in(client, "bob", "wrong", **OFFICE)
    response = sign_in(client, "bob", **OFFICE)  # the right password, but too late from here
    assert response.status_code == 429
    assert "Too many failed sign-in attempts for this account from here" in response.content.decode()
    assert 'name="username"' in response.content.decode()  # Keel's own sign-in page, with the reason
    assert "_auth_user_id" not in client.session


def test_a_locked_account_still_signs_in_from_another_address(client, org, settings):
    settings.AXES_FAILURE_LIMIT = 5
    for _ in range(5):
        sign_in(client, "bob", "wrong", **OFFICE)
    response = sign_in(client, "bob", **HOME)
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(org.bob.pk)


def test_many_failures_from_one_address_do_not_lock_another_account_there(client, org):
    for n in range(25):  # an office behind one NAT: someone mistypes, or guesses, 25 times
        sign_in(client, ("bob", f"nobody{n}")[n % 2], "wrong", **OFFICE)
    response = sign_in(client, "alice", **OFFICE)
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(org.alice.pk)


def test_the_username_and_email_of_one_account_share_one_count(client, org, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for login in ("bob", "BOB@example.com", "Bob"):
        sign_in(client, login, "wrong", **OFFICE)
    response = sign_in(client, "bob@example.com", **OFFICE)
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_the_lock_ends_after_the_window(client, org, settings, _controlled_clock):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        sign_in(client, "bob", "wrong", **OFFICE)
    _controlled_clock.shift(settings.AXES_COOLOFF_TIME.total_seconds() + 1)
    assert sign_in(client, "bob", **OFFICE).status_code == 302


def test_a_success_clears_the_failures(client, org, settings):
    settings.AXES_FAILURE_LIMIT = 3
    sign_in(client, "bob", "wrong")
    sign_in(client, "bob", "wrong")
    sign_in(client, "bob")
    client.logout()
    sign_in(client, "bob", "wrong")
    sign_in(client, "bob", "wrong")
    sign_in(client, "bob")
    assert client.session.get("_auth_user_id") == str(org.bob.pk)


def test_behind_a_trusted_proxy_it_counts_the_client_address_the_proxy_saw(client, org, settings):
    settings.KEEL_TRUSTED_PROXY_COUNT = 1
    settings.AXES_FAILURE_LIMIT = 3
    proxy = "10.0.0.2"
    for _ in range(3):
        sign_in(client, "bob", "wrong", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert sign_in(client, "bob", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.20").status_code == 429
    response = sign_in(client, "bob", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert response.status_code == 302


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
