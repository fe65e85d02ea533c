"""What make chaos runs around the platform: a receiver that records every call (and fails the
first call of each "flaky" job, so that retries happen), an API client polling throughout, and
the platform's processes (web, workers, beats, gRPC) on the bench's database and Redis."""

from __future__ import annotations

import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.common import Process, celery, free_port


@dataclass(frozen=True)
class Call:
    at: float
    execution_id: int
    job_id: int
    status: int


class Receiver(ThreadingHTTPServer):
    """Answers 200, except the first call of each job whose path ends in /flaky (500)."""

    daemon_threads = True
    request_queue_size = 1024

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.calls: list[Call] = []
        self.failed_once: set[int] = set()
        self.lock = threading.Lock()
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def answer(self, path: str, execution_id: int, job_id: int) -> int:
        with self.lock:
            status = 500 if path.endswith("/flaky") and job_id not in self.failed_once else 200
            if status == 500:
                self.failed_once.add(job_id)
            self.calls.append(Call(time.time(), execution_id, job_id, status))
        return status


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        execution_id, job_id = int(self.headers.get("X-Execution-Id") or 0), int(self.headers.get("X-Job-Id") or 0)
        status = self.server.answer(self.path, execution_id, job_id)
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        return


class Poller(threading.Thread):
    """An API client reading the job list every 0.25 s; ``answers`` are (epoch, HTTP status)."""

    def __init__(self, url: str, token: str) -> None:
        super().__init__(name="poller", daemon=True)
        self.request = urllib.request.Request(f"{url}/api/v1/jobs?namespace=chaos", headers={"Authorization": f"Token {token}"})
        self.answers: list[tuple[float, int]] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.25):
            self.answers.append((time.time(), self._status()))

    def _status(self) -> int:
        try:
            with urllib.request.urlopen(self.request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except OSError:
            return 0  # no answer at all (web down): not a 5xx, counted apart

    def server_errors(self, start: float, end: float) -> str:
        """``"n (m 503)"``: answers >= 500 in [start, end), and how many of them were 503s."""
        statuses = [status for at, status in self.answers if start <= at < end and status >= 500]
        return f"{len(statuses)} ({statuses.count(503)} 503)" if statuses else "0"


class Platform:
    """web, two workers, two beats and the gRPC server; ``restart`` brings a killed one back."""

    WORKERS = ("worker-1", "worker-2")
    BEATS = ("beat-1", "beat-2")

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.web_port = free_port()
        self.processes: dict[str, Process] = {}
        self.killed: set[str] = set()
        self.restarts: Counter[str] = Counter()

    def arguments(self, name: str) -> list[str]:
        if name == "web":
            return [str(Path(sys.executable).parent / "gunicorn"), "scheduler_project.wsgi", "--bind", f"127.0.0.1:{self.web_port}",
                    "--workers", "2", "--threads", "4"]  # fmt: skip
        if name == "grpc":
            return [sys.executable, "manage.py", "grpcserver", "--port", "0"]
        if name.startswith("worker"):
            return celery("worker", "-l", "warning", "-P", "threads", "-c", "8", "-n", f"{name}@%h", "--without-gossip", "--without-mingle")
        return celery("beat", "-l", "warning", "-S", "tasks_app.scheduler:JobScheduler", "-s", str(self.log_dir / f"{name}-schedule"))

    def start(self) -> None:
        for name in ("web", "grpc", *self.WORKERS, *self.BEATS):
            self.processes[name] = Process(name, self.arguments(name), self.log_dir)

    def kill(self, name: str) -> None:
        self.killed.add(name)
        self.processes[name].kill()

    def restart(self, name: str) -> None:
        self.restarts[name] += 1  # a log of its own: the one before shows how it ended
        self.processes[name] = Process(f"{name}.{self.restarts[name]}", self.arguments(name), self.log_dir)
        self.killed.discard(name)

    def exited(self) -> list[str]:
        """Processes that ended by themselves (not killed by a scenario)."""
        return [name for name, process in self.processes.items() if name not in self.killed and process.popen.poll() is not None]

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()
