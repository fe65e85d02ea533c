"""Per-process heartbeats: each worker process and each beat writes its own key in Redis (host,
pid, pool, concurrency, when it last beat), expiring after HEARTBEAT_TTL_SECONDS. /healthz counts
the live ones and the admin's servers page lists them; one process dying shows as one fewer,
not as nothing at all (a shared key stayed fresh while any process wrote it)."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db import connection

from tasks_app import redis as platform_redis
from tasks_app.outages import DATABASE_ERRORS, REDIS, REDIS_ERRORS

logger = logging.getLogger(__name__)
# HEARTBEAT_TTL_SECONDS must be longer: scheduler_project.conf refuses one that is not.
EVERY_SECONDS = settings.HEARTBEAT_EVERY_SECONDS
KINDS = ("worker", "beat")


@dataclass(frozen=True)
class Heartbeat:
    kind: str
    host: str
    pid: int
    pool: str
    concurrency: int
    started_at: float
    last_beat: float

    @property
    def age_seconds(self) -> float:
        return time.time() - self.last_beat


@dataclass(frozen=True)
class Process:
    """What this process says about itself in its heartbeat."""

    kind: str
    pool: str = ""
    concurrency: int = 0
    started_at: float = field(default_factory=time.time)

    def heartbeat(self) -> Heartbeat:
        return Heartbeat(self.kind, socket.gethostname(), os.getpid(), self.pool, self.concurrency, self.started_at, time.time())


def _key(kind: str, host: str = "*", pid: int | str = "*") -> str:
    return platform_redis.key(f"heartbeats:{kind}:{host}:{pid}")


def beat(process: Process) -> None:
    """Record that this process is alive (a Redis outage is logged once, not raised)."""
    heartbeat = process.heartbeat()
    try:
        key = _key(process.kind, heartbeat.host, heartbeat.pid)
        platform_redis.client().set(key, json.dumps(asdict(heartbeat)), ex=settings.HEARTBEAT_TTL_SECONDS)
    except REDIS_ERRORS as error:
        REDIS.failed(error)
    else:
        REDIS.recovered()


def alive(kind: str) -> list[Heartbeat]:
    """The processes of ``kind`` that beat within HEARTBEAT_TTL_SECONDS, by host and pid."""
    client = platform_redis.client()
    keys = list(client.scan_iter(_key(kind), count=1000))
    beats = [Heartbeat(**json.loads(value)) for value in client.mget(keys) if value] if keys else []
    return sorted((b for b in beats if b.age_seconds <= settings.HEARTBEAT_TTL_SECONDS), key=lambda b: (b.host, b.pid))


def database_answers() -> bool:
    """Whether this thread can reach the database, reopening its connection when it broke: a
    worker that cannot is not alive, whatever its broker connection says."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DATABASE_ERRORS:
        connection.close()
        return False


class HeartbeatThread(threading.Thread):
    """Beats every EVERY_SECONDS while ``healthy()`` holds (its own thread and database
    connection, so a busy or stuck pool never silences it, and a dead database does)."""

    def __init__(self, process: Process, healthy: Callable[[], bool] = database_answers) -> None:
        super().__init__(name=f"{process.kind}-heartbeat", daemon=True)
        self.process = process
        self.healthy = healthy
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            if self._healthy():
                beat(self.process)
            self.stopped.wait(EVERY_SECONDS)
        connection.close()

    def _healthy(self) -> bool:
        try:
            return self.healthy()
        except Exception:  # the thread outlives any failure; a process that cannot tell is not alive
            logger.exception("the %s heartbeat's health check failed", self.process.kind)
            return False

    def stop(self) -> None:
        self.stopped.set()
