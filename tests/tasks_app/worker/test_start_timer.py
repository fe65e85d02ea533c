"""StartTimer: work starts at its moment, and waiting work holds no executor thread."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tasks_app.worker.start_timer import StartTimer


def test_work_starts_at_its_moment_in_order_without_holding_a_thread_while_it_waits() -> None:
    with ThreadPoolExecutor(1) as one_thread:
        timer = StartTimer(one_thread)
        began = time.monotonic()
        later = timer.submit_in(0.3, time.monotonic)
        sooner = timer.submit_in(0.1, time.monotonic)
        now = timer.submit_in(0, time.monotonic)  # the only thread is free: the waiting ones do not hold it
        assert now.result(timeout=1) - began < 0.1
        assert 0.1 <= sooner.result(timeout=1) - began < 0.25
        assert 0.3 <= later.result(timeout=1) - began < 0.45


def test_a_failure_reaches_whoever_waits_for_the_work() -> None:
    def fail() -> None:
        raise ValueError("callback bug")

    with ThreadPoolExecutor(1) as one_thread:
        future = StartTimer(one_thread).submit_in(0.05, fail)
        with pytest.raises(ValueError, match="callback bug"):
            future.result(timeout=1)


def test_stopping_lets_waiting_work_start_then_ends_the_timer_thread() -> None:
    with ThreadPoolExecutor(1) as one_thread:
        timer = StartTimer(one_thread)
        waiting = timer.submit_in(0.1, lambda: "started")
        stopping = threading.Thread(target=timer.stop)  # returns once the timer thread has ended
        stopping.start()
        stopping.join(timeout=2)
        assert not stopping.is_alive() and waiting.result(timeout=1) == "started"
