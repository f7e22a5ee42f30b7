"""Webhook tests never leave this machine: names resolve through a fixed table, and a post to any address other
than loopback is recorded instead of sent (a test that wants a real answer starts a receiver on 127.0.0.1)."""

import ipaddress
import json
from dataclasses import dataclass, field

import pytest

from tests.webhooks.receiver import running_receiver
from webhooks import targets, transport

PUBLIC = "93.184.215.14"
DNS = {
    "hooks.example.com": [PUBLIC],
    "chat.example.com": [PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
    "sneaky.example.com": ["127.0.0.1"],  # a public-looking name that resolves to loopback
    "mixed.example.com": [PUBLIC, "10.1.2.3"],
    "localhost": ["127.0.0.1"],
}


def fake_resolve(host: str, port: int) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    if host not in DNS:
        raise OSError(f"Name or service not known: {host}")
    return list(DNS[host])


@dataclass
class Outside:
    """Posts that would have left the machine: (target, body, headers), answered with `status`."""

    posts: list = field(default_factory=list)
    status: int = 200

    def bodies(self) -> list[dict]:
        return [json.loads(body) for _target, body, _headers in self.posts]


@pytest.fixture(autouse=True)
def outside(monkeypatch) -> Outside:
    recorded = Outside()
    real_post = transport.post

    def post(target, *, body, headers):
        if all(ipaddress.ip_address(a).is_loopback for a in target.addresses):
            return real_post(target, body=body, headers=headers)
        recorded.posts.append((target, body, headers))
        return transport.Answer(status=recorded.status, excerpt="ok")

    monkeypatch.setattr(targets, "resolve", fake_resolve)
    monkeypatch.setattr(transport, "post", post)
    return recorded


@pytest.fixture
def receiver():
    """A receiver on 127.0.0.1 (tests.webhooks.receiver) for the test's length."""
    with running_receiver() as state:
        yield state
