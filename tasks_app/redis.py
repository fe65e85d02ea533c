"""The platform's own use of Redis: waking the scheduler early (heartbeats: tasks_app.heartbeats).
Failures here are logged, never raised into a request: the scheduler polls anyway."""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from typing import Any

import redis
from django.conf import settings
from redis.sentinel import Sentinel

from scheduler_project.redis_url import SentinelSet
from tasks_app import outages

logger = logging.getLogger(__name__)


CONNECTION_OPTIONS: dict[str, Any] = {"socket_timeout": 5, "socket_connect_timeout": 2, "health_check_interval": 30}


@lru_cache(maxsize=1)
def client() -> redis.Redis:
    """The platform's client: on REDIS_URL, or on the master of the Sentinel set it names (its
    connections ask the sentinels where the master is whenever they reconnect)."""
    sentinel_set = settings.REDIS_SENTINEL
    if sentinel_set is None:
        return redis.Redis.from_url(settings.REDIS_URL, **CONNECTION_OPTIONS)
    return sentinel_master(sentinel_set)


def _forget_inherited_client() -> None:
    """A forked child (a prefork pool's) builds its own client. The inherited pool may have been
    in use by a parent's thread (the heartbeat) at the fork: its lock is then held forever in
    the child, and redis-py's reset of a pool after a fork waits on that lock."""
    client.cache_clear()


os.register_at_fork(after_in_child=_forget_inherited_client)


def sentinel_master(sentinel_set: SentinelSet) -> redis.Redis:
    timeouts = {name: value for name, value in CONNECTION_OPTIONS.items() if name.startswith("socket_")}
    sentinels = Sentinel(
        list(sentinel_set.sentinels),
        sentinel_kwargs=timeouts | ({"password": sentinel_set.sentinel_password} if sentinel_set.sentinel_password else {}),
    )
    return sentinels.master_for(sentinel_set.master_name, db=sentinel_set.db, password=sentinel_set.password, **CONNECTION_OPTIONS)


def run_script(source: str, *, keys: list[str], args: list[Any]) -> Any:
    """Run a Lua script on this process's client: sent by its SHA, the source itself only when
    Redis does not know it yet (after a restart, say)."""
    return _registered(source)(keys=keys, args=args, client=client())


@lru_cache(maxsize=16)
def _registered(source: str) -> Any:
    # Registered once per process; each call names the current client, so a client remade
    # after a fork (or a failover) is the one used.
    return client().register_script(source)


def key(name: str) -> str:
    return f"{settings.REDIS_KEY_PREFIX}{name}"


WAKE_CHANNEL = "scheduler:wake"
# Marks the wake-ups a beat's claimer publishes for its own beat thread.
CLAIMED_PREFIX = "claimed:"


def wake_scheduler(due_at: float, *, claimed: bool = False) -> None:
    """Tell sleeping schedulers that something is due at ``due_at`` (epoch seconds); ``claimed``:
    a beat's claimer wrote it (no job changed)."""
    try:
        client().publish(key(WAKE_CHANNEL), f"{CLAIMED_PREFIX if claimed else ''}{due_at!r}")
    except redis.RedisError as error:  # beat polls meanwhile; the outage is logged once
        outages.REDIS.failed(error)
    else:
        outages.REDIS.recovered()


def is_claim_wakeup(message: dict[str, Any]) -> bool:
    """Whether a message on the wake channel is a claimer's (see wake_scheduler)."""
    data = message.get("data")
    return isinstance(data, bytes | str) and (data.decode() if isinstance(data, bytes) else data).startswith(CLAIMED_PREFIX)
