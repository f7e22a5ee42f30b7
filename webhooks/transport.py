"""One HTTP POST to a checked address: short timeouts, no proxies, no redirects, a bounded read of the answer.

http.client rather than urllib: it follows no redirect (a 3xx is just an answer, recorded as a failure) and lets
the connection go to the address webhooks.targets checked while the Host header and TLS (SNI and certificate
check) still use the name in the URL.
"""

import contextlib
import http.client
import socket
import ssl
import threading
from dataclasses import dataclass

from webhooks.targets import Target

CONNECT_TIMEOUT = 5  # seconds to open the connection
READ_TIMEOUT = 10  # seconds of silence allowed while sending and reading
# Seconds for the whole attempt, however slowly the receiver drips its answer (or however many addresses its name
# has): a watchdog cuts the connection then. Keep TOTAL_TIMEOUT + CONNECT_TIMEOUT below services.CLAIM_SECONDS, or
# another worker takes the delivery over while this one still waits, and the receiver gets it twice.
TOTAL_TIMEOUT = 30
READ_LIMIT = 64 * 1024  # bytes of the answer read at most; the rest is left unread
EXCERPT_LENGTH = 1000  # characters of the answer kept on the delivery (Delivery.last_response)


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str  # the start of the body, decoded leniently, at most EXCERPT_LENGTH characters


def _open(address: str, port: int) -> socket.socket:
    sock = socket.create_connection((address, port), timeout=CONNECT_TIMEOUT)
    sock.settimeout(READ_TIMEOUT)
    return sock


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, address: str, **kwargs):
        super().__init__(*args, **kwargs)
        self._address = address

    def connect(self):
        self.sock = _open(self._address, self.port)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, address: str, **kwargs):
        super().__init__(*args, **kwargs)
        self._address = address

    def connect(self):
        sock = _open(self._address, self.port)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(target: Target, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST body to the target's first reachable checked address; raises OSError (and http.client errors) when
    no answer came, TimeoutError when none came within TOTAL_TIMEOUT seconds in all. Any HTTP status is an Answer:
    the caller decides what counts as delivered."""
    last_error: Exception = OSError("no address to connect to")
    current: dict[str, http.client.HTTPConnection] = {}
    expired = threading.Event()

    def cut() -> None:  # runs on the watchdog's thread: wakes the worker's blocked send or receive
        expired.set()
        sock = getattr(current.get("connection"), "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed
                socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket's, under any TLS layer

    watchdog = threading.Timer(TOTAL_TIMEOUT, cut)
    watchdog.daemon = True
    watchdog.start()
    try:
        return _post(target, body=body, headers=headers, current=current, expired=expired, last_error=last_error)
    finally:
        watchdog.cancel()


def _post(target, *, body, headers, current, expired, last_error) -> Answer:
    for address in target.addresses:
        if expired.is_set():
            break
        if target.scheme == "https":
            connection = _PinnedHTTPSConnection(
                target.host, target.port, address=address, context=ssl.create_default_context()
            )
        else:
            connection = _PinnedHTTPConnection(target.host, target.port, address=address)
        current["connection"] = connection
        try:
            try:
                connection.connect()
            except OSError as error:  # try the name's next address
                last_error = error
                continue
            if expired.is_set():  # the watchdog fired while this connection opened, before it had a socket to cut
                raise TimeoutError(f"no answer within {TOTAL_TIMEOUT} s")
            connection.putrequest("POST", target.path, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", target.host_header)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                connection.putheader(name, value)
            connection.endheaders(body)
            response = connection.getresponse()
            raw = response.read(READ_LIMIT)
            return Answer(status=response.status, excerpt=raw.decode("utf-8", "replace")[:EXCERPT_LENGTH])
        except (OSError, http.client.HTTPException) as error:
            if expired.is_set():
                raise TimeoutError(f"no complete answer within {TOTAL_TIMEOUT} s") from error
            raise
        finally:
            connection.close()
    if expired.is_set():
        raise TimeoutError(f"no answer within {TOTAL_TIMEOUT} s")
    raise last_error
