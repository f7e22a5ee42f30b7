"""A webhook goes to public internet addresses only, unless an admin allowed private ones."""

import socket
import threading

import pytest

from webhooks import targets
from webhooks.targets import TargetRefused

REAL_RESOLVE = targets.resolve  # the autouse fixture replaces it with a fixed table during each test


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://10.0.0.1/hook", "10.0.0.1, a private address"),
        ("http://127.0.0.1:8000/hook", "127.0.0.1, this machine (loopback)"),
        ("http://[::1]/hook", "::1, this machine (loopback)"),
        ("https://sneaky.example.com/hook", "sneaky.example.com points to 127.0.0.1, this machine"),
        ("http://localhost/hook", "localhost points to 127.0.0.1"),
        ("http://169.254.169.254/latest/meta-data", "a link-local address"),
        ("http://224.0.0.1/", "a multicast address"),
        ("http://[::ffff:127.0.0.1]/", "this machine (loopback)"),
        ("http://0.0.0.0/", "an unspecified address"),
        ("http://100.64.0.1/", "not on the public internet"),
        ("https://mixed.example.com/", "10.1.2.3, a private address"),  # one bad address among good ones
    ],
)
def test_it_refuses_targets_that_are_not_public(url, words):
    with pytest.raises(TargetRefused) as refused:
        targets.check(url)
    assert words in refused.value.message
    assert "an admin can allow private targets" in refused.value.message


def test_an_admin_allowance_lets_private_targets_through():
    target = targets.check("http://127.0.0.1:8111/hook", allow_private=True)
    assert target.addresses == ("127.0.0.1",)


def test_the_installation_setting_lets_private_targets_through(settings):
    settings.KEEL_WEBHOOKS_ALLOW_PRIVATE = True
    assert targets.check("http://10.0.0.1/hook").addresses == ("10.0.0.1",)


def test_a_public_name_is_checked_and_connected_to_by_address():
    target = targets.check("https://chat.example.com/services/T1/B2?x=1")
    assert (target.scheme, target.host, target.port) == ("https", "chat.example.com", 443)
    assert target.path == "/services/T1/B2?x=1"
    assert target.addresses == ("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    assert target.host_header == "chat.example.com"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://hooks.example.com/x", "starts with https://"),
        ("file:///etc/passwd", "starts with https://"),
        ("hooks.example.com/keel", "starts with https://"),
        ("https:///keel", "Give the full address"),
        ("https://user:pass@hooks.example.com/", "Leave the user name and password out"),
        ("https://hooks.example.com:99999/", "not a valid address"),
        ("https://nowhere.invalid/", "could not find the host nowhere.invalid"),
    ],
)
def test_it_explains_addresses_it_cannot_use(url, words):
    with pytest.raises(TargetRefused) as refused:
        targets.check(url, allow_private=True)
    assert words in refused.value.message


@pytest.fixture
def hung_resolver(monkeypatch):
    """getaddrinfo that never answers until the test ends (as a resolver with dead name servers)."""
    release = threading.Event()

    def hang(*_args, **_kwargs):
        release.wait(30)
        raise socket.gaierror("gave up")

    monkeypatch.setattr(socket, "getaddrinfo", hang)
    yield
    release.set()


def test_a_resolver_that_does_not_answer_is_given_up_on(hung_resolver, monkeypatch):
    with pytest.raises(TimeoutError, match=r"hooks\.example\.com"):
        REAL_RESOLVE("hooks.example.com", 443, timeout=0.2)
    monkeypatch.setattr(targets, "resolve", lambda host, port: REAL_RESOLVE(host, port, timeout=0.2))
    with pytest.raises(TargetRefused, match=r"could not find the host hooks\.example\.com"):
        targets.check("https://hooks.example.com/hook")


def test_the_resolvers_own_errors_and_answers_come_through(monkeypatch):
    def unknown(*_args, **_kwargs):
        raise socket.gaierror("Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unknown)
    with pytest.raises(OSError, match="not known"):
        REAL_RESOLVE("nowhere.invalid", 443)
    answer = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443))] * 2
    monkeypatch.setattr(socket, "getaddrinfo", lambda *_a, **_k: answer)
    assert REAL_RESOLVE("hooks.example.com", 443) == ["93.184.215.14"]
