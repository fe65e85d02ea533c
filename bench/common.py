"""What the benchmarks share: an isolated database and Redis, processes, a fast receiver, tables."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/bench_scheduler"


def bench_environment(database_url: str, *, redis_db: int = 5, queue: str = "bench") -> dict[str, str]:
    """Environment for the bench process and the processes it starts (its own DB, Redis db, queue)."""
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": f"redis://127.0.0.1:6379/{redis_db}",
        "CELERY_QUEUE": queue,
        "REDIS_KEY_PREFIX": f"{queue}:",
        "DJANGO_SETTINGS_MODULE": "scheduler_project.settings",
        "LOG_LEVEL": "WARNING",
    }


def recreate_database(database_url: str) -> None:
    """Drop and create the bench database (PostgreSQL), then migrate it."""
    import psycopg

    base, name = database_url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name])
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=os.environ.copy(), check=True)


class Process:
    """A started process in its own session, with resident memory sampled while it runs."""

    def __init__(self, name: str, arguments: list[str], log_dir: Path) -> None:
        self.name = name
        self.log = open(log_dir / f"{name}.log", "wb")  # noqa: SIM115  (closed in stop)
        self.started = time.time()
        self.popen = subprocess.Popen(
            arguments, cwd=ROOT, env=os.environ.copy(), stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.peak_rss_mb = 0.0
        self._sampling = True
        threading.Thread(target=self._sample, daemon=True).start()

    def rss_mb(self) -> float:
        """Resident memory of the process and its children (prefork pools), in MB."""
        total = 0
        for pid in [self.popen.pid, *self._children()]:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total / 1024

    def _children(self) -> list[int]:
        try:
            return [int(p) for p in Path(f"/proc/{self.popen.pid}/task/{self.popen.pid}/children").read_text().split()]
        except OSError:
            return []

    def _sample(self) -> None:
        while self._sampling and self.popen.poll() is None:
            self.peak_rss_mb = max(self.peak_rss_mb, self.rss_mb())
            time.sleep(0.5)

    def kill(self) -> None:
        self._sampling = False
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self) -> None:
        self._sampling = False
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def celery(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "scheduler_project", *arguments]


class Receiver:
    """A fast local HTTP server that records when each callback arrived and for which execution."""

    def __init__(self) -> None:
        arrivals: list[tuple[float, str]] = []
        self.arrivals = arrivals

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms delayed-ACK stall

            def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
                arrivals.append((time.time(), self.headers.get("X-Execution-Id", "")))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                return

        Handler.protocol_version = "HTTP/1.1"
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/fire"

    def close(self) -> None:
        self.server.shutdown()


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def print_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    cells = [[str(c) for c in columns]] + [[f"{v:.1f}" if isinstance(v, float) else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    print(f"\n{title}")
    for index, row in enumerate(cells):
        print("| " + " | ".join(value.rjust(widths[i]) for i, value in enumerate(row)) + " |")
        if index == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
