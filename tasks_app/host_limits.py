"""Politeness: at most N calls at once to one target (a callback's host:port), across every worker
process on every host, counted in Redis.

A semaphore of leases: one sorted set per target whose members are slot tokens scored by when
each lease runs out, on Redis's clock (so the workers' clocks do not matter). Taking a slot drops
the leases that ran out and adds a token while fewer than the limit remain, in one Lua script;
giving it back removes the token. A lease lasts as long as the attempt may hold its claim (the
callback's timeout plus EXECUTION_RECOVERY_GRACE_SECONDS): a worker killed mid-call frees its slot
by itself, when its attempt is re-queued as lost.

Unlimited targets (the default) make no Redis call at all. Redis errors let the call through
(logged): the limit is politeness, and the broker shares that Redis anyway.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from dataclasses import dataclass

import redis
from django.conf import settings

from tasks_app import redis as platform_redis
from tasks_app.callbacks import Callback

logger = logging.getLogger(__name__)
# Pauses between tries while waiting for a slot: short at first, then at most this.
FIRST_PAUSE_SECONDS = 0.02
MAX_PAUSE_SECONDS = 0.1

# KEYS[1] the target's set; ARGV: limit, lease in ms, token. Returns -1 when the slot is taken,
# otherwise how many leases hold the target. The key lives as long as its longest lease.
_TAKE_SLOT = """
local clock = redis.call('TIME')
local now = clock[1] * 1000 + math.floor(clock[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local running = redis.call('ZCARD', KEYS[1])
if running >= tonumber(ARGV[1]) then
  return running
end
local lease = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
if redis.call('PTTL', KEYS[1]) < lease then
  redis.call('PEXPIRE', KEYS[1], lease)
end
return -1
"""


@dataclass(frozen=True)
class Lease:
    """A slot held at a target; the empty lease (no limit applies) holds nothing."""

    key: str = ""
    token: str = ""

    def release(self) -> None:
        if not self.token:
            return
        try:
            platform_redis.client().zrem(self.key, self.token)
        except redis.RedisError as error:  # the lease runs out by itself
            logger.warning("could not give back a slot of %s: %s", self.key, error)


UNLIMITED = Lease()


@dataclass(frozen=True)
class Full:
    """No slot was free: ``running`` calls to ``scope`` (a target or a host) held them all."""

    scope: str
    running: int


def rule_for(target: str) -> tuple[str, int]:
    """The scope a target's calls are counted in, and its limit (0: unlimited). An override for
    the host:port, then one for the bare host (all its ports share it), then the default."""
    limits = settings.CALLBACK_HOST_LIMITS
    if target and limits:
        host = target.rpartition(":")[0]
        for scope in (target, host):
            if scope in limits:
                return scope, limits[scope]
    return target, settings.CALLBACK_MAX_CONCURRENT_PER_HOST if target else 0


def slot_for(callback: Callback, *, lease_seconds: float) -> Lease | Full:
    """A slot for one call of ``callback``. With no limit set this is free: no Redis, and the
    target is not even worked out."""
    if settings.CALLBACK_MAX_CONCURRENT_PER_HOST <= 0 and not settings.CALLBACK_HOST_LIMITS:
        return UNLIMITED
    return acquire(callback.target, lease_seconds=lease_seconds)


def acquire(target: str, *, lease_seconds: float) -> Lease | Full:
    """A slot at ``target``, waiting up to CALLBACK_HOST_LIMIT_WAIT_SECONDS for one to free."""
    scope, limit = rule_for(target)
    if limit <= 0:
        return UNLIMITED
    lease = Lease(platform_redis.key(f"host-limit:{scope}"), uuid.uuid4().hex)
    try:
        return _wait_for_slot(lease, scope, limit, lease_seconds)
    except redis.RedisError as error:
        logger.warning("the limit of %s was not checked, calling anyway: %s", scope, error)
        return UNLIMITED


def _wait_for_slot(lease: Lease, scope: str, limit: int, lease_seconds: float) -> Lease | Full:
    deadline = time.monotonic() + settings.CALLBACK_HOST_LIMIT_WAIT_SECONDS
    pause = FIRST_PAUSE_SECONDS
    while True:
        lease_ms = max(1, round(lease_seconds * 1000))
        running = int(platform_redis.run_script(_TAKE_SLOT, keys=[lease.key], args=[limit, lease_ms, lease.token]))
        if running < 0:
            return lease
        if time.monotonic() + pause > deadline:
            return Full(scope, running)
        time.sleep(pause * random.uniform(0.5, 1.5))  # jittered: waiters do not retry in step
        pause = min(pause * 2, MAX_PAUSE_SECONDS)
