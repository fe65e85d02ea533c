"""How many workers and beats are alive, for the gauges. The one place that reads heartbeats for
the metrics: when heartbeats become one per process, only this function changes."""

from __future__ import annotations

import time

from django.conf import settings

from tasks_app import redis as platform_redis


def alive(role: str) -> int:
    """Live processes of ``role`` (``worker`` or ``beat``): today one heartbeat key per role, so 0 or 1."""
    last = platform_redis.last_heartbeat(role)
    return int(last is not None and time.time() - last <= settings.HEARTBEAT_TTL_SECONDS)
