"""Noticing that the broker's Redis restarted empty (a cache node without persistence, a
failover to an empty replica): the messages it held are gone, and the database knows which
attempts they carried. A marker key, written once, vanishes with the data; the beat that finds
it gone (or replaced by another beat that found it gone) sends those attempts again at once."""

from __future__ import annotations

import os
import uuid
from functools import lru_cache

import redis
from django.conf import settings

from tasks_app import redis as platform_redis

MARKER = "broker:marker"


@lru_cache(maxsize=1)
def _broker_client() -> redis.Redis:
    url = settings.CELERY_BROKER_URL
    return platform_redis.client() if _is_platform_redis(url) else redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)


# A forked child builds its own (see tasks_app.redis._forget_inherited_client).
os.register_at_fork(after_in_child=_broker_client.cache_clear)


def _is_platform_redis(broker_url: str) -> bool:
    """Whether the broker is REDIS_URL's Redis (a Sentinel set's broker URL is derived from it)."""
    sentinel_set = settings.REDIS_SENTINEL
    return broker_url == settings.REDIS_URL or (sentinel_set is not None and broker_url == sentinel_set.broker_url())


class BrokerMarker:
    def __init__(self) -> None:
        self._seen: object = None

    def lost_since_last_look(self) -> bool:
        """Whether the broker lost its data since this process last looked. On a process's first
        look that is unknowable, so a missing marker counts as lost (a resend is harmless: a
        worker's claim lets only one copy of an attempt run). Raises redis errors."""
        client, key = _broker_client(), platform_redis.key(MARKER)
        value = client.get(key)
        missing = value is None
        if missing:
            client.set(key, uuid.uuid4().hex, nx=True)
            value = client.get(key)
        lost = missing if self._seen is None else value != self._seen
        self._seen = value
        return lost
