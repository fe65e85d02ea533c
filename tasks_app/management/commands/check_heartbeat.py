"""A container's health check for a worker or a beat: exit 0 while its heartbeat is fresh.

Compose and Kubernetes run it inside the process's own container (``manage.py check_heartbeat
worker``); it needs Redis, not the database, and answers within a couple of seconds."""

from __future__ import annotations

import time
from typing import Any

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tasks_app import redis as platform_redis

ROLES = ("worker", "beat")


def own_heartbeat(role: str) -> float | None:
    """When this container's ``role`` process last wrote its heartbeat (epoch seconds), or None.

    The one place that knows how heartbeats are keyed: today one key per role, so any live
    process of the role keeps every container of it healthy."""
    return platform_redis.last_heartbeat(role)


class Command(BaseCommand):
    help = "Exit 0 when the worker's or beat's heartbeat is younger than HEARTBEAT_TTL_SECONDS, 1 otherwise."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("role", choices=ROLES)

    def handle(self, *args: Any, role: str, **options: Any) -> None:
        try:
            last = own_heartbeat(role)
        except redis.RedisError as error:
            raise CommandError(f"cannot read the {role} heartbeat: {error}") from error
        if last is None:
            raise CommandError(f"no {role} heartbeat in the last {settings.HEARTBEAT_TTL_SECONDS}s")
        age = time.time() - last
        if age > settings.HEARTBEAT_TTL_SECONDS:
            raise CommandError(f"the last {role} heartbeat is {age:.0f}s old")
        self.stdout.write(f"{role} ok: heartbeat {age:.1f}s ago")
