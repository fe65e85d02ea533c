"""Starting work at a given moment on an executor, without holding one of its threads meanwhile.

Attempts arrive at a worker a moment before they are due (SCHEDULER_SEND_AHEAD_SECONDS). Each
waits here, in one timer thread per worker runtime, and goes to a callback thread when its moment
comes: a callback thread that slept through the wait could not call anything else meanwhile.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

T = TypeVar("T")


class StartTimer:
    def __init__(self, executor: Executor) -> None:
        self._executor = executor
        self._waiting: list[tuple[float, int, Callable[[], Any]]] = []  # (monotonic start, order, start)
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="start-timer", daemon=True)
        self._thread.start()

    def submit_in(self, seconds: float, fn: Callable[..., T], /, *args: Any) -> Future[T]:
        """``fn(*args)`` on the executor ``seconds`` from now; its future resolves as the call ends."""
        if seconds <= 0:
            return self._executor.submit(fn, *args)
        future: Future[T] = Future()

        def start() -> None:
            self._executor.submit(_run_into, future, fn, *args)

        with self._changed:
            heapq.heappush(self._waiting, (time.monotonic() + seconds, next(self._order), start))
            self._changed.notify()
        return future

    def stop(self) -> None:
        """End the timer thread once what waits has started (the worker stops its timer after
        its pool, when no task waits for work still to start)."""
        with self._changed:
            self._stopped = True
            self._changed.notify()
        self._thread.join()

    def _run(self) -> None:
        while (start := self._next_start()) is not None:
            start()

    def _next_start(self) -> Callable[[], Any] | None:
        """The next start once its moment comes; None once stopped with nothing waiting."""
        with self._changed:
            while not self._waiting or self._waiting[0][0] > time.monotonic():
                if self._stopped and not self._waiting:
                    return None
                self._changed.wait(self._waiting[0][0] - time.monotonic() if self._waiting else None)
            return heapq.heappop(self._waiting)[2]


def _run_into(future: Future[T], fn: Callable[..., T], /, *args: Any) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        future.set_result(fn(*args))
    except BaseException as error:  # handed to whoever waits on the future, as an executor does
        future.set_exception(error)
