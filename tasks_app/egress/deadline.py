"""One wall-clock deadline for a whole outbound exchange: connect, send and every read.

A socket timeout bounds each read alone, so a peer that sends one byte just inside it keeps a
call open for ever. Here the sockets of an exchange are watched by one thread per process,
which shuts them down once the exchange's deadline passes: whatever is blocked on them returns
at once, and the exchange reports the timeout.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Exchange:
    """The deadline of one exchange and the sockets it has opened or reused."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.sockets: list[socket.socket] = []
        self.expired = False
        self.ended = False
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self.expired:
                _shut(sock)
            self.sockets.append(sock)

    def expire(self) -> None:
        with self._lock:
            if self.ended:
                return
            self.expired = True
            for sock in self.sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: nothing is blocked on it
        sock.shutdown(socket.SHUT_RDWR)


class _Watchdog(threading.Thread):
    """Expires exchanges at their deadlines, earliest first."""

    def __init__(self) -> None:
        super().__init__(name="egress-deadlines", daemon=True)
        self._due: list[tuple[float, int, Exchange]] = []
        self._order = itertools.count()
        self._ended = 0
        self._changed = threading.Condition()

    def add(self, exchange: Exchange) -> None:
        with self._changed:
            heapq.heappush(self._due, (exchange.deadline, next(self._order), exchange))
            self._changed.notify()

    def forget_ended(self) -> None:
        """Drop exchanges that ended before their deadline once they are most of the heap: at
        hundreds of calls a second with long timeouts they would pile up until then."""
        with self._changed:
            self._ended += 1
            if self._ended > 1000 and self._ended * 2 > len(self._due):
                self._due = [entry for entry in self._due if not entry[2].ended]
                heapq.heapify(self._due)
                self._ended = 0

    def run(self) -> None:
        while True:
            with self._changed:
                while not self._due or self._due[0][0] > time.monotonic():
                    self._changed.wait(self._due[0][0] - time.monotonic() if self._due else None)
                _, _, exchange = heapq.heappop(self._due)
            exchange.expire()


_local = threading.local()
_watchdog: _Watchdog | None = None
_watchdog_lock = threading.Lock()


def _the_watchdog() -> _Watchdog:
    """This process's watchdog (a new one after a fork: threads do not survive it)."""
    global _watchdog
    with _watchdog_lock:
        if _watchdog is None or not _watchdog.is_alive():
            _watchdog = _Watchdog()
            _watchdog.start()
        return _watchdog


def current() -> Exchange | None:
    """The exchange this thread is making, if any."""
    return getattr(_local, "exchange", None)


@contextmanager
def bounded(seconds: float) -> Iterator[Exchange]:
    """Run an exchange on this thread within ``seconds`` of wall-clock time."""
    exchange = Exchange(seconds)
    _the_watchdog().add(exchange)
    _local.exchange = exchange
    try:
        yield exchange
    finally:
        _local.exchange = None
        with exchange._lock:
            exchange.ended = True
        _the_watchdog().forget_ended()
