"""A container's health check for a worker or a beat: exit 0 while its heartbeat is fresh.

Compose and Kubernetes run it inside the process's own container (``manage.py check_heartbeat
worker``); it needs Redis, not the database, and answers within a couple of seconds."""

from __future__ import annotations

import socket
import time
from typing import Any

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tasks_app import heartbeats

ROLES = ("worker", "beat")


def own_heartbeat(role: str) -> float | None:
    """When a ``role`` process on this host (this container) last wrote its heartbeat (epoch
    seconds), or None: heartbeats are per process, keyed by host and pid (tasks_app.heartbeats),
    so another container's live process never vouches for this one."""
    mine = [beat.last_beat for beat in heartbeats.alive(role) if beat.host == socket.gethostname()]
    return max(mine, default=None)


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
            raise CommandError(f"no {role} heartbeat from {socket.gethostname()} in the last {settings.HEARTBEAT_TTL_SECONDS}s")
        age = time.time() - last
        if age > settings.HEARTBEAT_TTL_SECONDS:
            raise CommandError(f"the last {role} heartbeat is {age:.0f}s old")
        self.stdout.write(f"{role} ok: heartbeat {age:.1f}s ago")
