"""A prefork pool's child forks from a parent whose heartbeat thread uses the platform's Redis
client: the child must never wait on a lock that thread held at the fork."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis

from tasks_app import broker_marker, host_limits
from tasks_app import redis as platform_redis

CHILD_SECONDS = 10


def _forked_while_the_pool_is_busy(use: Callable[[], object]) -> int:
    """Fork while another thread holds the platform client's pool lock (as the heartbeat thread
    does while it takes a connection); the child calls ``use``. Returns the child's exit code,
    or -1 when it hung past CHILD_SECONDS."""
    pool = platform_redis.client().connection_pool
    held, forked = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        with pool._lock:  # type: ignore[attr-defined]
            held.set()
            forked.wait(CHILD_SECONDS)

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    held.wait(CHILD_SECONDS)
    pid = os.fork()
    if pid == 0:  # the child: exits without running the parent's cleanup
        signal.alarm(CHILD_SECONDS)
        try:
            use()
            os._exit(0)
        except BaseException:
            os._exit(1)
    forked.set()
    holder.join()
    deadline = time.monotonic() + CHILD_SECONDS + 5
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return -1


def _took_a_slot(lease: object) -> None:
    assert isinstance(lease, host_limits.Lease) and lease.token
    lease.release()


@pytest.mark.usefixtures("redis_client")
@pytest.mark.parametrize(
    "use",
    [
        lambda: platform_redis.client().ping(),
        lambda: broker_marker._broker_client().ping(),
        lambda: _took_a_slot(host_limits.acquire("127.0.0.1:1", lease_seconds=1)),
    ],
    ids=["platform client", "broker marker", "host-limit script"],
)
def test_a_forked_child_uses_redis_whatever_its_parent_held(use: Callable[[], object], settings: Any) -> None:
    settings.CALLBACK_MAX_CONCURRENT_PER_HOST = 5
    platform_redis.client().ping()  # the parent's pool exists and has a connection
    broker_marker._broker_client()
    host_limits._take_slot()
    assert _forked_while_the_pool_is_busy(use) == 0


def test_the_parent_keeps_its_client() -> None:
    before = platform_redis.client()
    assert isinstance(before, redis.Redis) and platform_redis.client() is before
