"""A Redis Sentinel set of this machine's own processes for a test: a master, a replica and one
sentinel (Debian's ``redis-server``, the sentinel as ``redis-server --sentinel``), each on a free
port of 127.0.0.1 with its files in a temporary folder. The sentinel declares a master down after
a second, so a failover takes a few seconds."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tasks_app import redis as platform_redis
from tests.conftest import wait_for

MASTER_NAME = "jobs-master"
SENTINEL_CONFIG = """port {port}
bind 127.0.0.1
dir {folder}
sentinel monitor {name} 127.0.0.1 {master_port} 1
sentinel down-after-milliseconds {name} 1000
sentinel failover-timeout {name} 5000
sentinel parallel-syncs {name} 1
"""


def redis_server_binary() -> str | None:
    return shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SentinelSet:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.servers: dict[str, subprocess.Popen[bytes]] = {}
        self.ports = {"master": free_port(), "replica": free_port(), "sentinel": free_port()}

    @property
    def url(self) -> str:
        return f"sentinel://127.0.0.1:{self.ports['sentinel']}/0?master={MASTER_NAME}"

    def start(self) -> None:
        self._server("master")
        self._server("replica", "--replicaof", "127.0.0.1", str(self.ports["master"]))
        config = self.folder / "sentinel.conf"
        config.write_text(
            SENTINEL_CONFIG.format(port=self.ports["sentinel"], folder=self.folder, name=MASTER_NAME, master_port=self.ports["master"])
        )
        self._spawn("sentinel", str(config), "--sentinel")
        wait_for(self._replica_known, timeout=20, message="the sentinel to see the master's replica")

    def _server(self, role: str, *arguments: str) -> None:
        self._spawn(
            role, "--port", str(self.ports[role]), "--bind", "127.0.0.1", "--dir", str(self.folder),
            "--dbfilename", f"{role}.rdb", "--save", "", "--appendonly", "no", *arguments,
        )  # fmt: skip

    def _spawn(self, role: str, *arguments: str) -> None:
        log = open(self.folder / f"{role}.log", "wb")  # noqa: SIM115  (closed with the process)
        self.servers[role] = subprocess.Popen([redis_server_binary() or "redis-server", *arguments], stdout=log, stderr=subprocess.STDOUT)
        wait_for(self._answers(role), timeout=10, message=f"the {role} to answer")

    def _answers(self, role: str) -> Callable[[], bool]:
        def answers() -> bool:
            try:
                return bool(self.client(role).ping())
            except redis.RedisError:
                return False

        return answers

    def client(self, role: str) -> redis.Redis:
        return redis.Redis(port=self.ports[role], socket_timeout=2, socket_connect_timeout=1)

    def _replica_known(self) -> bool:
        replicas: list[dict[str, Any]] = self.client("sentinel").sentinel_slaves(MASTER_NAME)
        return any(replica.get("master-link-status") == "ok" for replica in replicas)

    def master_port(self) -> int:
        return int(self.client("sentinel").sentinel_get_master_addr_by_name(MASTER_NAME)[1])

    def kill(self, role: str) -> None:
        server = self.servers.pop(role)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)

    def stop(self) -> None:
        for role in list(self.servers):
            self.kill(role)

    def log(self, role: str) -> str:
        return (self.folder / f"{role}.log").read_text(errors="replace")


@pytest.fixture
def sentinel_set(tmp_path: Path) -> Iterator[SentinelSet]:
    if redis_server_binary() is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is required under CI")
        pytest.skip("no redis-server on this machine")
    folder = tmp_path / "sentinel-set"
    folder.mkdir()
    servers = SentinelSet(folder)
    try:
        servers.start()
        yield servers
    finally:
        servers.stop()


@pytest.fixture
def on_sentinel(settings, sentinel_set: SentinelSet) -> Iterator[None]:
    """This test process's own Redis use (wake-ups) on the sentinel set too."""
    from scheduler_project.redis_url import parse_sentinel_url

    settings.REDIS_URL = sentinel_set.url
    settings.REDIS_SENTINEL = parse_sentinel_url(sentinel_set.url)
    platform_redis.client.cache_clear()
    yield
    platform_redis.client.cache_clear()
