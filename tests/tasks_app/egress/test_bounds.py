"""Every call inside its bounds, against real peers: ``timeout_seconds`` is the wall-clock
deadline of the whole exchange however slowly a peer drips, and what comes back is read up to
CALLBACK_MAX_RESPONSE_BYTES (the rest discarded, the connection closed)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from django.test import override_settings
from werkzeug import Response

from tasks_app.callbacks import CallContext, build_callback
from tests.tcp import LineServer

CONTEXT = CallContext(execution_id=41, job_id=7, attempt=1, scheduled_for=datetime(2026, 1, 1, tzinfo=UTC))
DRIP_EVERY = 0.4
DRIP_FOR = 15.0


@contextmanager
def dripping(first: bytes, drip: bytes) -> Iterator[int]:
    """A TCP server that reads a request, sends ``first``, then one byte of ``drip`` every
    DRIP_EVERY seconds (never longer than DRIP_FOR) until the client goes away."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(DRIP_FOR)

    def serve() -> None:
        try:
            connection, _ = listener.accept()
        except OSError:
            return
        with connection:
            connection.settimeout(DRIP_FOR)
            connection.recv(65536)
            _drip(connection, first, drip)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
        thread.join(timeout=DRIP_FOR + 1)


def _drip(connection: socket.socket, first: bytes, drip: bytes) -> None:
    stop = time.monotonic() + DRIP_FOR
    try:
        connection.sendall(first)
        for byte in drip:
            if time.monotonic() > stop:
                return
            time.sleep(DRIP_EVERY)
            connection.sendall(bytes([byte]))
    except OSError:  # the client closed: what the test wanted
        return


def timed(call: Callable[[], object]) -> tuple[object, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


HEADERS = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"


@pytest.mark.parametrize(
    "first, drip",
    [(HEADERS, b"x" * 1000), (b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"y" * 1000)],
    ids=["body", "headers"],
)
def test_an_http_peer_dripping_bytes_cannot_hold_a_call_past_its_timeout(first, drip) -> None:
    with dripping(first, drip) as port:
        callback = build_callback({"url": f"http://127.0.0.1:{port}/", "timeout_seconds": 1.5})
        outcome, elapsed = timed(lambda: callback.call(CONTEXT))
    assert 1.4 < elapsed < 2.5, elapsed
    assert not outcome.succeeded and outcome.retryable and outcome.error.startswith("Timeout"), outcome.error


@pytest.mark.parametrize("kind", ["socket", "rpc"])
def test_a_socket_or_rpc_peer_dripping_a_reply_cannot_hold_a_call_past_its_timeout(kind) -> None:
    with dripping(b"", b'{"success": true' + b" " * 1000) as port:
        if kind == "socket":
            callback = build_callback({"kind": "socket", "host": "127.0.0.1", "port": port, "timeout_seconds": 1.5})
        else:
            callback = build_callback({"kind": "rpc", "address": f"127.0.0.1:{port}", "method": "A.B", "timeout_seconds": 1.5})
        outcome, elapsed = timed(lambda: callback.call(CONTEXT))
    assert 1.4 < elapsed < 2.5, elapsed
    assert not outcome.succeeded and ("timeout" in outcome.error.lower() or "within" in outcome.error), outcome.error


def test_a_body_past_the_cap_is_cut_and_its_connection_closed(receiver) -> None:
    sent: list[int] = []

    def endless() -> Iterator[bytes]:
        for _ in range(200):  # 200 MiB offered; the client stops after the cap
            sent.append(1)
            yield b"z" * (1 << 20)

    receiver.expect_request("/big").respond_with_handler(lambda request: Response(endless(), content_type="text/plain"))
    with override_settings(CALLBACK_MAX_RESPONSE_BYTES=256 * 1024):
        outcome = build_callback({"url": receiver.url_for("/big"), "timeout_seconds": 10}).call(CONTEXT)
    assert outcome.succeeded and outcome.response_status == 200
    assert outcome.response_body.endswith(f"…[cut at {256 * 1024} bytes]")
    assert len(sent) < 20  # the server was stopped by the closed connection, not drained


@pytest.mark.parametrize("kind", ["socket", "rpc"])
def test_a_reply_line_past_the_cap_is_refused(kind) -> None:
    with LineServer(lambda line: b"{" + b" " * (300 * 1024) + b"}\n") as server, override_settings(CALLBACK_MAX_RESPONSE_BYTES=64 * 1024):
        if kind == "socket":
            callback = build_callback({"kind": "socket", "host": "127.0.0.1", "port": server.port})
        else:
            callback = build_callback({"kind": "rpc", "address": f"127.0.0.1:{server.port}", "method": "A.B"})
        outcome = callback.call(CONTEXT)
    assert not outcome.succeeded and "CALLBACK_MAX_RESPONSE_BYTES" in outcome.error
