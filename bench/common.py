"""What every benchmark uses: an isolated database, Redis db and queue, processes with their
resident memory, waiting for a condition, a free port, percentiles and the printed table."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
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
    """Drop and create the bench database (a SQLite file is removed), then migrate it."""
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


def log_file(path: Path, mode: str = "ab") -> Any:
    """A log file opened for a process, its directory made first (var/ is made by what writes there)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return open(path, mode)  # noqa: SIM115  (closed by its owner)


class Process:
    """A process in its own session, logging to ``<log_dir>/<name>.log``; its resident memory
    counts its children (prefork pools), and its peak is sampled while it runs."""

    def __init__(self, name: str, arguments: list[str], log_dir: Path, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self.log = log_file(self.log_path)
        self.started = time.time()
        self.popen = subprocess.Popen(
            arguments, cwd=ROOT, env=env or os.environ.copy(), stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.peak_rss_mb = 0.0
        self._sampling = True
        threading.Thread(target=self._sample, daemon=True).start()

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

    def _sample(self) -> None:
        while self._sampling and self.popen.poll() is None:
            self.peak_rss_mb = max(self.peak_rss_mb, self.rss_mb())
            time.sleep(0.5)

    def kill(self) -> None:
        self._sampling = False
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self, timeout: float = 30) -> None:
        self._sampling = False
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
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


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process and its children (gunicorn's workers) have used so far:
    the server's cost per task, which the machine's load does not inflate as it does wall time."""
    total = 0.0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total + sum(cpu_seconds(int(child)) for child in children)


def machine_load(when: str) -> str:
    """The machine's load averages, printed beside a bench's tables: figures from a busy machine
    are not comparable with a quiet one's."""
    one, five, fifteen = os.getloadavg()
    return f"load average (1/5/15 min) {one:.2f} / {five:.2f} / {fifteen:.2f} {when}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
    """A Markdown table: the first column left-aligned, the figures right-aligned."""
    cells = [columns] + [[format_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    print(f"\n{title}\n")
    for index, row in enumerate(cells):
        print("| " + " | ".join(value.ljust(widths[i]) if i == 0 else value.rjust(widths[i]) for i, value in enumerate(row)) + " |")
        if index == 0:
            print("|" + "|".join("-" * (w + 1) + (":" if i else "-") for i, w in enumerate(widths)) + "|")
