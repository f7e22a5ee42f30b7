"""Where a webhook may go: http(s) addresses whose host resolves to public internet addresses only.

A subscription's URL is checked when it is saved and again before every attempt (a name may resolve elsewhere
later), and the connection goes to the very address that was checked, never to a second lookup of the name (DNS
rebinding). Private, loopback, link-local, multicast, reserved and other non-public addresses are refused unless
an admin allowed them for the subscription, or the whole installation allows them (KEEL_WEBHOOKS_ALLOW_PRIVATE).
"""

import ipaddress
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

DEFAULT_PORTS = {"http": 80, "https": 443}


class TargetRefused(Exception):
    """The URL may not be used as a webhook target; the message says why, for the person who typed it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Target:
    scheme: str  # "http" or "https"
    host: str  # the name as written (sent in Host and used for TLS), without brackets
    port: int
    path: str  # path and query, at least "/"
    addresses: tuple[str, ...] = ()  # checked addresses to connect to, in the resolver's order

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def parse(url: str) -> Target:
    """The parts of an http(s) URL; raises TargetRefused with a message a person can act on."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused(_("This is not a valid address: check the port and the brackets around it.")) from None
    if parts.scheme.lower() not in DEFAULT_PORTS:
        raise TargetRefused(_("Use an address that starts with https:// (or http://)."))
    if not parts.hostname:
        raise TargetRefused(_("Give the full address, e.g. https://hooks.example.com/keel."))
    if parts.username or parts.password:
        raise TargetRefused(
            _("Leave the user name and password out of the address: Keel signs every delivery instead.")
        )
    scheme = parts.scheme.lower()
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=scheme, host=parts.hostname, port=port or DEFAULT_PORTS[scheme], path=path)


# Seconds a name may take to resolve. The system resolver has no limit of its own a caller can set (with several
# name servers and retries it can hang for a minute): a request saving a subscription must not hang with it, nor a
# worker past its claim on a delivery (services.CLAIM_SECONDS), after which another worker would send it again.
RESOLVE_TIMEOUT = 5


def resolve(host: str, port: int, *, timeout: float | None = None) -> list[str]:
    """Every address `host` resolves to (an IP literal resolves to itself); raises OSError when it does not, and
    TimeoutError (an OSError) when the resolver has not answered within `timeout` seconds (RESOLVE_TIMEOUT)."""
    found: list = []

    def ask() -> None:
        try:
            found.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as error:
            found.append(error)

    # A daemon thread: one left waiting on a hung resolver never holds up the process's exit.
    asking = threading.Thread(target=ask, name="webhook-resolve", daemon=True)
    asking.start()
    asking.join(RESOLVE_TIMEOUT if timeout is None else timeout)
    if not found:
        raise TimeoutError(f"resolving {host} took longer than {RESOLVE_TIMEOUT if timeout is None else timeout} s")
    if isinstance(found[0], BaseException):
        raise found[0]
    infos = found[0]
    addresses = []
    for _family, _type, _proto, _name, sockaddr in infos:
        if sockaddr[0] not in addresses:
            addresses.append(sockaddr[0])
    return addresses


def why_not_public(address: str) -> str | None:
    """None for a public internet address; otherwise what kind of address it is, in words."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    embedded = getattr(ip, "ipv4_mapped", None) or getattr(ip, "sixtofour", None)
    if embedded is not None:
        return why_not_public(str(embedded)) or (None if ip.is_global else _("not a public internet address"))
    if ip.is_loopback:
        return _("this machine (loopback)")
    if ip.is_link_local:
        return _("a link-local address")
    if ip.is_multicast:
        return _("a multicast address")
    if ip.is_unspecified:
        return _("an unspecified address")
    if ip.is_private:
        return _("a private address inside a network")
    if ip.is_reserved or not ip.is_global:
        return _("a reserved address, not on the public internet")
    return None


def private_allowed(*, allow_private: bool) -> bool:
    return allow_private or bool(getattr(settings, "KEEL_WEBHOOKS_ALLOW_PRIVATE", False))


def check(url: str, *, allow_private: bool = False) -> Target:
    """Parse the URL, resolve its host and check every address it resolves to.

    Returns the Target with the addresses to connect to. Raises TargetRefused when the URL is not http(s), the
    host does not resolve, or any address is not public (unless `allow_private` or KEEL_WEBHOOKS_ALLOW_PRIVATE):
    one bad address among good ones is refused too, since the resolver may hand out either.
    """
    target = parse(url)
    try:
        addresses = resolve(target.host, target.port)
    except (OSError, UnicodeError):
        raise TargetRefused(
            _("Keel could not find the host %(host)s: check the address for typing mistakes.") % {"host": target.host}
        ) from None
    if not addresses:
        raise TargetRefused(_("The host %(host)s has no address.") % {"host": target.host})
    if not private_allowed(allow_private=allow_private):
        for address in addresses:
            reason = why_not_public(address)
            if reason:
                raise TargetRefused(
                    _(
                        "%(host)s points to %(address)s, %(reason)s. Webhooks go to public internet addresses only, "
                        "so that they cannot reach services inside your network; an admin can allow private "
                        "targets for a subscription."
                    )
                    % {"host": target.host, "address": address, "reason": reason}
                )
    return Target(
        scheme=target.scheme, host=target.host, port=target.port, path=target.path, addresses=tuple(addresses)
    )
