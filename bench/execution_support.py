"""What the execution benchmarks need beyond bench.common: their own database URL and
environment, a local nginx that records each callback's arrival, wrk to measure nginx's own
ceiling, and database write counters."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

from bench.common import ROOT, Process, bench_environment, free_port, wait_for

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_execution"


def bench_database_url(explicit: str | None) -> str:
    """The bench's own database: --database-url, else DATABASE_URL's server with a database of
    its own (never the one DATABASE_URL names: the bench drops and recreates it)."""
    if explicit:
        return explicit
    base = os.environ.get("DATABASE_URL")
    if not base:
        return DEFAULT_DATABASE_URL
    if base.startswith("sqlite"):
        return f"sqlite:///{ROOT / 'var' / 'bench-execution.sqlite3'}"
    return base.rsplit("/", 1)[0] + "/bench_execution"


def environment(database_url: str, *, redis_db: int, queue: str) -> dict[str, str]:
    return bench_environment(database_url, redis_db=redis_db, queue=queue) | {"PYTHONPATH": str(ROOT)}


class WriteCounter:
    """Rows inserted, updated and deleted, and transactions committed, in the bench database
    (PostgreSQL's statistics). A backend reports its counts when it disconnects at the latest,
    so read them after the processes that wrote have stopped."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url if database_url.startswith("postgres") else None

    def read(self) -> tuple[int, int]:
        if self.url is None:
            return 0, 0
        import psycopg

        with psycopg.connect(self.url.replace("postgres://", "postgresql://", 1), autocommit=True) as connection:
            rows = connection.execute("SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables").fetchone()
            commits = connection.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").fetchone()
        return int(rows[0]), int(commits[0])  # type: ignore[index]


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_requests 10000000;
    log_format arrivals '$msec $http_x_execution_id';
    server {{
        listen 127.0.0.1:{port} backlog=4096 reuseport;
        access_log {dir}/arrivals.log arrivals;
        location / {{ return 200 "ok"; }}
    }}
}}
"""


class Receiver:
    """Debian's nginx answering 200 to every callback and logging when it arrived (epoch ms)
    and the X-Execution-Id it carried."""

    def __init__(self, work_dir: Path) -> None:
        if not shutil.which("nginx"):
            raise SystemExit("nginx is needed as the receiver: apt-get install nginx-light wrk")
        self.dir = work_dir / "nginx"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        (self.dir / "nginx.conf").write_text(NGINX_CONF.format(dir=self.dir, port=self.port))
        self.log_path = self.dir / "arrivals.log"
        self.log_path.touch()
        self.process = Process("nginx", ["nginx", "-c", str(self.dir / "nginx.conf"), "-p", str(self.dir)], work_dir)
        wait_for(self._answers, timeout=10, message="nginx to answer")
        self._offset = 0
        self.arrivals: dict[str, float] = {}
        self.duplicates = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def read(self) -> dict[str, float]:
        """Arrivals logged since the last read, added to ``arrivals`` (marker -> first arrival)."""
        with open(self.log_path, "rb") as log:
            log.seek(self._offset)
            chunk = log.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._offset += len(complete)
        for line in complete.decode().splitlines():
            moment, _, marker = line.partition(" ")
            if marker in self.arrivals:
                self.duplicates += 1
            elif marker != "-":
                self.arrivals[marker] = float(moment)
        return self.arrivals

    def ceiling(self, *, seconds: int = 3, keepalive: bool = True) -> float:
        """Requests per second nginx answers here (wrk: one thread, 32 connections, POST)."""
        if not shutil.which("wrk"):
            return float("nan")
        script = self.dir / "post.lua"
        script.write_text('wrk.method = "POST"\nwrk.body = \'{"n": 1}\'\nwrk.headers["Content-Type"] = "application/json"\n')
        arguments = ["wrk", "-t1", "-c32", f"-d{seconds}s", "-s", str(script), self.url("/wrk")]
        if not keepalive:
            arguments[1:1] = ["-H", "Connection: close"]
        output = subprocess.run(arguments, capture_output=True, text=True, check=True).stdout
        match = re.search(r"Requests/sec:\s+([\d.]+)", output)
        return float(match.group(1)) if match else float("nan")

    def stop(self) -> None:
        self.process.stop()
