"""The exchange deadline on real sockets: a read blocked past the deadline returns at once, and
exchanges that ended in time do not pile up in the watchdog."""

from __future__ import annotations

import socket
import time

from tasks_app.egress import deadline


def test_a_blocked_read_returns_when_the_deadline_passes() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs, deadline.bounded(0.5) as exchange:
        exchange.watch(ours)
        ours.settimeout(10)
        started = time.monotonic()
        assert ours.recv(10) == b""  # shut down, not answered
        assert 0.4 < time.monotonic() - started < 2 and exchange.expired


def test_an_exchange_that_ended_in_time_is_not_expired_later() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        with deadline.bounded(0.2) as exchange:
            exchange.watch(ours)
        time.sleep(0.4)
        theirs.sendall(b"still open")
        assert ours.recv(10) == b"still open" and not exchange.expired


def test_ended_exchanges_are_forgotten() -> None:
    for _ in range(3000):
        with deadline.bounded(600):
            pass
    watchdog = deadline._the_watchdog()
    assert len(watchdog._due) < 2100
