"""Resetting a forgotten password by e-mail, sent through the outbox."""

import re

from django.core import mail
from django.urls import reverse

from outbox.models import OutgoingEmail


def test_it_emails_a_link_that_sets_a_new_password(client, org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "Bob@Example.com"})
    assert response.status_code == 302
    assert OutgoingEmail.objects.get().sent_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["bob@example.com"]
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)

    form_page = client.get(link, follow=True)
    assert b"new_password1" in form_page.content
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-much-better-pw-2026", "new_password2": "a-much-better-pw-2026"},
    )
    assert done.status_code == 302
    signed_in = client.post(reverse("login"), {"username": "bob", "password": "a-much-better-pw-2026"})
    assert signed_in.status_code == 302


def test_it_says_the_same_for_an_unknown_address_and_sends_nothing(client, org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert OutgoingEmail.objects.count() == 0
    assert mail.outbox == []


def test_a_mismatched_new_password_shows_a_field_error(client, org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "bob@example.com"})
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "a-much-better-pw-2026", "new_password2": "different-pw-99"})
    assert response.status_code == 200
    assert "didn’t match" in response.content.decode() or "didn't match" in response.content.decode()


def test_it_sends_at_most_a_few_emails_to_one_address_an_hour(client, org, settings, _controlled_clock):
    settings.PASSWORD_RESET_EMAILS_PER_HOUR = 3
    for _ in range(14):
        response = client.post(reverse("password_reset"), {"email": "bob@example.com"})
        assert response.status_code == 302  # the page says the same every time
    assert OutgoingEmail.objects.filter(to="bob@example.com").count() == 3
    client.post(reverse("password_reset"), {"email": "alice@example.com"})
    assert OutgoingEmail.objects.filter(to="alice@example.com").count() == 1  # another address is not held back
    _controlled_clock.shift(60 * 60 + 1)
    client.post(reverse("password_reset"), {"email": "bob@example.com"})
    assert OutgoingEmail.objects.filter(to="bob@example.com").count() == 4
