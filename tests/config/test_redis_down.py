"""With Redis (broker and cache) unreachable every page and write works, and a committed write says so.

The broker and the cache point at a port nobody answers on; the Celery app is the real one, publishing for
real (not eagerly), so every nudge after a commit meets the refused connection. Transactions really commit here
(transactional tests), so the nudges run inside the request, where they used to turn a saved write into a 500.
"""

import re

import pytest
from django.core import mail
from django.urls import reverse

from config.celery import app as celery_app
from customers.models import Response
from metrics.models import Reading, RollupQueue
from outbox.models import OutgoingEmail
from tests.customers.test_answer_page import full_answer, url
from tests.helpers import PASSWORD
from tests.metrics.test_pages import reading_form

pytestmark = pytest.mark.django_db(transaction=True)

NOBODY = "redis://127.0.0.1:1/0"


@pytest.fixture(autouse=True)
def redis_down(settings):
    settings.REDIS_URL = NOBODY
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": NOBODY,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    conf = celery_app.conf
    saved = {name: conf[name] for name in ("broker_url", "broker_transport_options", "task_always_eager")}
    conf.update(broker_url=NOBODY, broker_transport_options={}, task_always_eager=False)
    celery_app._pool = None  # the producer pool keeps the broker it was made for
    yield
    conf.update(saved)
    celery_app._pool = None


def test_the_setup_really_has_no_redis(client):
    health = client.get(reverse("healthz")).json()
    assert health["status"] == "degraded"


def test_signing_in_works(client, org):
    response = client.post(reverse("login"), {"username": "bob", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(org.bob.pk)


def test_a_wrong_password_is_still_counted_and_explained(client, org, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        client.post(reverse("login"), {"username": "bob", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "bob", "password": PASSWORD})
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_recording_a_reading_says_it_was_saved_and_leaves_the_rollup_to_beat(client, org, monkeypatch):
    from metrics.services import rollups
    from tests.metrics.factories import MetricFactory

    # Another run holds the rollup lock, so the request nudges the worker (through the broker that is down).
    monkeypatch.setattr(rollups, "run", lambda *, full=False, blocking=True: None)
    metric = MetricFactory(department=org.support, name="First-contact resolution", min_value=0, max_value=100)
    client.force_login(org.bob)
    response = client.post(reverse("metrics:reading_create"), reading_form(metric, org.bob))
    assert response.status_code == 302
    assert Reading.objects.get().value == 77
    assert RollupQueue.objects.exists()  # what beat's rollup run catches up from


def test_a_password_reset_is_queued_for_beat_to_send(client, org):
    response = client.post(reverse("password_reset"), {"email": "bob@example.com"})
    assert response.status_code == 302
    email = OutgoingEmail.objects.get()
    assert email.sent_at is None and email.to == "bob@example.com"  # beat's send_pending_emails sends it
    assert mail.outbox == []


def test_the_public_answer_page_shows_and_takes_answers(client, org):
    from tests.customers.factories import make_campaign, make_recipient

    campaign = make_campaign(org.support, questions=2)
    _recipient, token = make_recipient(campaign)
    assert client.get(url(token)).status_code == 200
    response = client.post(url(token), full_answer(campaign))
    assert response.status_code == 302
    assert Response.objects.count() == 1


def test_a_reset_link_still_works(client, org):
    client.post(reverse("password_reset"), {"email": "bob@example.com"})
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", OutgoingEmail.objects.get().body).group(1)
    assert client.get(link, follow=True).status_code == 200
