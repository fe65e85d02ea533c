"""The ready queue of each channel, in Redis: a sorted set of task ids scored by when each became
ready, so receivers block on Redis (BZPOPMIN, oldest first) instead of polling the database.

It is an index, not the truth. An entry is only a hint: the receiver that pops it must still move
the row from WAITING to PROCEEDING, so a stale or duplicate entry hands out nothing. A set (not a
list) makes re-adding idempotent, which is what lets ``tasks_app.services.queues`` rebuild it from
the database at any time. Redis errors are logged, never raised: the rebuild restores what a write
missed, and a receiver that cannot reach Redis waits as if the queue were empty."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

import redis

from tasks_app import redis as platform_redis

logger = logging.getLogger(__name__)
# The longest single blocking pop: below the client's socket timeout, and short enough that a
# receiver whose stream went away notices it soon.
POP_SLICE_SECONDS = 1.0
ADD_BATCH = 1000

Entry = tuple[str, int, float]  # channel, task id, score (epoch seconds it became ready)


def key(channel: str) -> str:
    return platform_redis.key(f"queues:ready:{channel}")


def add(entries: Iterable[Entry], *, only_missing: bool = False) -> None:
    """Put tasks in their channels' queues (``only_missing``: keep the score of those present)."""
    batch = list(entries)
    try:
        with platform_redis.client().pipeline(transaction=False) as pipe:
            for start in range(0, len(batch), ADD_BATCH):
                for channel, task_id, score in batch[start : start + ADD_BATCH]:
                    pipe.zadd(key(channel), {str(task_id): score}, nx=only_missing)
                pipe.execute()
    except redis.RedisError as error:
        logger.warning("could not add %d task(s) to the ready queues (the sweep restores them): %s", len(batch), error)


def remove(entries: Iterable[tuple[str, int]]) -> None:
    try:
        with platform_redis.client().pipeline(transaction=False) as pipe:
            for channel, task_id in entries:
                pipe.zrem(key(channel), str(task_id))
            pipe.execute()
    except redis.RedisError as error:
        logger.warning("could not remove tasks from the ready queues (receivers skip them): %s", error)


def pop(channel: str, *, timeout: float) -> int | None:
    """The oldest ready task id of ``channel``, waiting up to ``timeout`` seconds (at most one slice)."""
    try:
        if timeout <= 0:
            popped = platform_redis.client().zpopmin(key(channel))
            return int(popped[0][0]) if popped else None
        blocked = platform_redis.client().bzpopmin(key(channel), timeout=min(max(timeout, 0.01), POP_SLICE_SECONDS))
        return int(blocked[1]) if blocked else None
    except redis.RedisError as error:
        logger.warning("ready queue %r unreachable: %s", channel, error)
        time.sleep(min(max(timeout, 0), POP_SLICE_SECONDS))
        return None


def size(channel: str) -> int:
    return int(platform_redis.client().zcard(key(channel)))


def take_turn(name: str, *, seconds: int) -> bool:
    """True at most once per ``seconds`` across all processes (a Redis key that expires)."""
    try:
        return bool(platform_redis.client().set(platform_redis.key(f"queues:turn:{name}"), "1", nx=True, ex=seconds))
    except redis.RedisError:
        return False
