"""A prefork pool's child forks from a parent whose heartbeat thread uses the platform's Redis
client: the child must never wait on a lock that thread held at the fork.

Each case runs in a fresh process (the test process has threads of its own whose locks a fork
would also copy): a thread holds the client's pool lock, the main thread forks, and the child
uses Redis the way a pool child does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHILD_SECONDS = 10

SCRIPT = """
import os, signal, sys, threading, time
import django
django.setup()
from django.conf import settings
from tasks_app import broker_marker, host_limits
from tasks_app import redis as platform_redis

settings.CALLBACK_MAX_CONCURRENT_PER_HOST = 5


def took_a_slot():
    lease = host_limits.acquire("127.0.0.1:1", lease_seconds=1)
    assert isinstance(lease, host_limits.Lease) and lease.token
    lease.release()


uses = {
    "platform client": lambda: platform_redis.client().ping(),
    "broker marker": lambda: broker_marker._broker_client().ping(),
    "host-limit script": took_a_slot,
}
use, SECONDS = uses[sys.argv[1]], int(sys.argv[2])
platform_redis.client().ping()  # the parent's pool has a connection; its script is registered
broker_marker._broker_client()
platform_redis._registered(host_limits._TAKE_SLOT)  # registered on the parent's client
pool = platform_redis.client().connection_pool
held, forked = threading.Event(), threading.Event()


def hold_the_lock():
    with pool._lock:
        held.set()
        forked.wait(SECONDS)


holder = threading.Thread(target=hold_the_lock)
holder.start()
held.wait(SECONDS)
pid = os.fork()
if pid == 0:
    signal.alarm(SECONDS)
    try:
        use()
        os._exit(0)
    except BaseException:
        os._exit(1)
forked.set()
holder.join()
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
print("the child hung until its alarm" if code == -signal.SIGALRM else f"the child exited {code}")
sys.exit(0 if code == 0 else 1)
"""


@pytest.mark.usefixtures("redis_client")
@pytest.mark.parametrize("use", ["platform client", "broker marker", "host-limit script"])
def test_a_forked_child_uses_redis_whatever_its_parent_held(use: str) -> None:
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "scheduler_project.test_settings"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, use, str(CHILD_SECONDS)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_SECONDS + 30,
    )
    assert done.returncode == 0, f"{done.stdout.strip()}\n{done.stderr[-3000:]}"
