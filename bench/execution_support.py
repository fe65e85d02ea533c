"""What the execution benchmark needs around it: its own database, Redis db and queue, processes
with their resident memory, a local nginx that records each callback's arrival, wrk to measure
nginx's own ceiling, database write counters and the printed table."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import bench_environment

ROOT = Path(__file__).resolve().parent.parent
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


def recreate_database(database_url: str) -> None:
    """Drop and create the bench database, then migrate it."""
    if database_url.startswith("sqlite"):
        Path(database_url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    else:
        import psycopg

        base, name = database_url.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name]
            )
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=os.environ.copy(), check=True)


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


class Process:
    """A process in its own session; its resident memory counts its children (prefork pools)."""

    def __init__(self, name: str, arguments: list[str], log_dir: Path, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self.log = open(self.log_path, "ab")  # noqa: SIM115  (closed in stop)
        self.popen = subprocess.Popen(
            arguments, cwd=ROOT, env=env or os.environ.copy(), stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def pids(self) -> list[int]:
        found, pending = [], [self.popen.pid]
        while pending:
            pid = pending.pop()
            found.append(pid)
            try:
                pending.extend(int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
            except OSError:
                continue
        return found

    def rss_mb(self) -> float:
        total = 0
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"^VmRSS:\s+(\d+)", status, re.MULTILINE)
            total += int(match.group(1)) if match else 0
        return total / 1024

    def stop(self, timeout: float = 30) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        self.log.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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


def wait_for(condition: Callable[[], Any], *, timeout: float, every: float = 0.1, message: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"timed out after {timeout}s waiting for {message}")


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def format_cell(value: Any) -> str:
    if isinstance(value, float):
        return "-" if value != value else f"{value:,.1f}"  # NaN: not measured
    return str(value)


def print_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    cells = [columns] + [[format_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    print(f"\n{title}\n")
    for index, row in enumerate(cells):
        print("| " + " | ".join(value.ljust(widths[i]) if i == 0 else value.rjust(widths[i]) for i, value in enumerate(row)) + " |")
        if index == 0:
            print("|" + "|".join("-" * (w + 1) + (":" if i else "-") for i, w in enumerate(widths)) + "|")
