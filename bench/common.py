"""What the benchmarks share: an isolated database and Redis, processes, a fast receiver, tables."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
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


def pool_spec(spec: str) -> tuple[str, int, int]:
    """ "threads:8x2" -> ("threads", 8, 2): a worker pool, its concurrency, worker processes."""
    pool, _, size = spec.partition(":")
    concurrency, _, processes = (size or "2").partition("x")
    return pool, int(concurrency), int(processes or 1)


def celery(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "scheduler_project", *arguments]


class Receiver:
    """bench/receiver.py in its own process; ``arrivals`` are (epoch, execution id) once closed."""

    def __init__(self) -> None:
        self.record = Path(tempfile.mkstemp(prefix="arrivals-")[1])
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "receiver.py"), str(self.record)], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.url = f"http://127.0.0.1:{self.process.stdout.readline().strip()}/fire"
        self.arrivals: list[tuple[float, str]] = []

    def close(self) -> list[tuple[float, str]]:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
            for line in self.record.read_text().splitlines():
                moment, _, execution_id = line.partition(" ")
                self.arrivals.append((float(moment), execution_id))
        return self.arrivals


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
