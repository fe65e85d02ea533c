"""The partition benchmark's own PostgreSQL and Redis, in a temporary folder, listening on the
core namespace's address (never the machine's own servers). PostgreSQL is Debian's, run as the
``postgres`` user (initdb refuses root)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import time
from pathlib import Path

import redis

DATABASE = "partition"
# What a PostgreSQL that sits behind a network which can partition needs, whatever runs on it: a
# client cut off inside a transaction keeps its row locks until the server gives up on it, and
# without these that is hours (TCP's retransmission timeout).
SERVER_OPTIONS = [
    "idle_in_transaction_session_timeout=10s",
    "tcp_keepalives_idle=5",
    "tcp_keepalives_interval=2",
    "tcp_keepalives_count=3",
    "max_connections=200",
    "fsync=off",  # a benchmark's throwaway data; spares the shared disk
]


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
    if not found:
        raise SystemExit("no PostgreSQL server binaries (Debian's postgresql package) under /usr/lib/postgresql")
    return Path(found[-1]).parent


class Postgres:
    def __init__(self, folder: Path, address: str, port: int) -> None:
        self.data = folder / "pgdata"
        self.log = folder / "postgres.log"
        self.address, self.port = address, port

    @property
    def url(self) -> str:
        return f"postgres://postgres@{self.address}:{self.port}/{DATABASE}"

    def _as_postgres(self, *arguments: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *arguments], check=True, capture_output=True, text=True)

    def start(self) -> None:
        self.data.mkdir()
        shutil.chown(self.data, "postgres")
        self.log.touch()
        shutil.chown(self.log, "postgres")
        self._as_postgres(str(postgres_bin() / "initdb"), "-D", str(self.data), "--auth=trust", "-U", "postgres", "--no-sync")
        with open(self.data / "pg_hba.conf", "a") as hba:
            hba.write("host all all 10.231.0.0/24 trust\n")
        options = " ".join(
            [f"-c listen_addresses={self.address}", f"-p {self.port}", f"-c unix_socket_directories={self.data}"]
            + [f"-c {option}" for option in SERVER_OPTIONS]
        )
        self._as_postgres(
            str(postgres_bin() / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", "-o", options, "start"
        )
        import psycopg

        with psycopg.connect(f"postgres://postgres@{self.address}:{self.port}/postgres", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{DATABASE}"')

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                ["runuser", "-u", "postgres", "--", str(postgres_bin() / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                capture_output=True,
            )


class RedisServer:
    def __init__(self, folder: Path, address: str, port: int) -> None:
        self.folder, self.address, self.port = folder, address, port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.address}:{self.port}/0"

    def start(self) -> None:
        log = open(self.folder / "redis.log", "wb")  # noqa: SIM115  (closed with the process)
        self.process = subprocess.Popen(
            ["redis-server", "--bind", self.address, "--port", str(self.port), "--dir", str(self.folder),
             "--save", "", "--appendonly", "no", "--protected-mode", "no"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        client = redis.Redis(host=self.address, port=self.port, socket_connect_timeout=1)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.RedisError:
                time.sleep(0.1)
        raise SystemExit(f"Redis did not answer at {self.url}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 9)
            self.process.wait(timeout=10)
