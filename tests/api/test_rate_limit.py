"""Each token may make KEEL_API_RATE_LIMIT requests a minute: beyond, 429 with Retry-After; the limit fails open."""

from unittest import mock

from tests.api.conftest import ApiClient, token_for


def test_it_answers_429_with_retry_after_beyond_the_limit(org, client, settings):
    settings.KEEL_API_RATE_LIMIT = 3
    api = ApiClient(client, token_for(org.bob))
    assert [api.get("/metrics").status_code for _ in range(3)] == [200, 200, 200]
    answer = api.get("/metrics")
    assert answer.status_code == 429
    assert answer["Content-Type"] == "application/problem+json"
    assert 1 <= int(answer["Retry-After"]) <= 60
    assert answer.json()["type"].endswith("/rate-limited")


def test_the_limit_is_per_token(org, client, settings):
    settings.KEEL_API_RATE_LIMIT = 1
    first, second = ApiClient(client, token_for(org.bob)), ApiClient(client, token_for(org.alice))
    assert first.get("/metrics").status_code == 200
    assert first.get("/metrics").status_code == 429
    assert second.get("/metrics").status_code == 200


def test_it_lets_requests_through_when_the_cache_is_down(org, client, settings):
    settings.KEEL_API_RATE_LIMIT = 1
    api = ApiClient(client, token_for(org.bob))
    with mock.patch("core.best_effort.cache.add", side_effect=ConnectionError("redis down")):
        assert [api.get("/metrics").status_code for _ in range(3)] == [200, 200, 200]
