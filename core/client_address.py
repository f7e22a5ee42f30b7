"""The address of the person's machine, seen through the reverse proxies Keel is told to trust.

Without trusted proxies (KEEL_TRUSTED_PROXY_COUNT=0, the default) it is REMOTE_ADDR and X-Forwarded-For is
ignored, since anyone can send that header. Behind N proxies, each appending the address it received from to
X-Forwarded-For (nginx's $proxy_add_x_forwarded_for), the last N entries of that header are the ones our proxies
wrote: anything before them is what the client sent and is ignored. django-ipware reads and checks the address
there; a chain too short or not an address is not believed, and REMOTE_ADDR is used.
"""

from types import SimpleNamespace

from django.conf import settings
from ipware.ip import get_client_ip

HEADERS = ("HTTP_X_FORWARDED_FOR",)


def client_address(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    proxies = settings.KEEL_TRUSTED_PROXY_COUNT
    if not proxies or request is None:
        return remote
    chain = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(chain) < proxies or not all(chain):
        return remote
    # ipware counts the proxies listed in the header: the nearest proxy's own address is REMOTE_ADDR, not listed.
    written_by_us = SimpleNamespace(META={"HTTP_X_FORWARDED_FOR": ", ".join(chain[-proxies:])})
    address, _routable = get_client_ip(
        written_by_us, proxy_order="left-most", proxy_count=proxies - 1, strict=True, request_header_order=HEADERS
    )
    return address or remote
