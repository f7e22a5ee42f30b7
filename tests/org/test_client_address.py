"""The client's address, through the reverse proxies Keel is told to trust (KEEL_TRUSTED_PROXY_COUNT)."""

from django.test import RequestFactory

from core.client_address import client_address


def request(**meta):
    return RequestFactory().get("/", **meta)


def test_without_trusted_proxies_it_ignores_forwarded_headers(settings):
    settings.KEEL_TRUSTED_PROXY_COUNT = 0
    assert client_address(request(REMOTE_ADDR="198.51.100.20", HTTP_X_FORWARDED_FOR="6.6.6.6")) == "198.51.100.20"


def test_behind_one_proxy_it_takes_the_address_the_proxy_saw(settings):
    settings.KEEL_TRUSTED_PROXY_COUNT = 1
    assert client_address(request(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.20")) == "198.51.100.20"


def test_behind_two_proxies_it_takes_the_address_the_outer_proxy_saw(settings):
    settings.KEEL_TRUSTED_PROXY_COUNT = 2
    meta = {"REMOTE_ADDR": "10.0.0.3", "HTTP_X_FORWARDED_FOR": "198.51.100.20, 10.0.0.2"}
    assert client_address(request(**meta)) == "198.51.100.20"


def test_what_the_client_sent_before_the_proxies_is_ignored(settings):
    settings.KEEL_TRUSTED_PROXY_COUNT = 1
    # The client sent its own X-Forwarded-For, and the proxy appended the real address after it.
    meta = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 198.51.100.20"}
    assert client_address(request(**meta)) == "198.51.100.20"


def test_a_header_that_is_not_an_address_is_not_believed(settings):
    settings.KEEL_TRUSTED_PROXY_COUNT = 1
    assert client_address(request(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, nonsense")) == "10.0.0.2"


def test_without_the_header_it_falls_back_to_the_connection(settings):
    settings.KEEL_TRUSTED_PROXY_COUNT = 1
    assert client_address(request(REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"
