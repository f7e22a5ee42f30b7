"""The whole attempt is bounded, not only each silence: a receiver that drips its answer a byte at a time kept the
worker past its claim (services.CLAIM_SECONDS), so another worker sent the same delivery again."""

import socket
import threading
import time

import pytest

from webhooks import services, transport
from webhooks.targets import Target


def test_an_attempt_ends_well_inside_the_claim():
    assert transport.TOTAL_TIMEOUT + transport.CONNECT_TIMEOUT < services.CLAIM_SECONDS


@pytest.fixture
def dripping_receiver():
    """Accepts one connection, then sends its status line one byte every 0.2 s, never finishing it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    stop = threading.Event()

    def serve():
        conn, _ = server.accept()
        with conn:
            conn.sendall(b"HTTP/1.1 ")
            while not stop.is_set():
                try:
                    conn.sendall(b"2")
                except OSError:
                    return
                stop.wait(0.2)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    server.close()


@pytest.mark.wall_clock
def test_a_receiver_that_drips_its_answer_is_cut_at_the_total_timeout(dripping_receiver, monkeypatch):
    monkeypatch.setattr(transport, "TOTAL_TIMEOUT", 1)
    target = Target(
        scheme="http",
        host="127.0.0.1",
        port=dripping_receiver,
        path="/hook",
        addresses=("127.0.0.1",),
    )
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="within 1 s"):
        transport.post(target, body=b"{}", headers={})
    assert time.monotonic() - started < 5  # each byte came within READ_TIMEOUT: only the total bound stops it
