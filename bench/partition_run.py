"""The partition benchmark's run, inside the core namespace (see bench/partition.py)."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.partition_net import CORE_ADDRESS, SUBNET, Network
from bench.partition_servers import Postgres, RedisServer

ROOT = Path(__file__).resolve().parent.parent
RECEIVER_PORT = 8080
ANSWER_AFTER_SECONDS = 1.0
# A fire this much after its due time counts as late in the report.
LATE_SECONDS = 2.0


@dataclass(frozen=True)
class Call:
    at: float
    source: str
    execution_id: int


class Receiver(ThreadingHTTPServer):
    """Answers every call 200 after a second (so calls are in flight at the cut); records each."""

    daemon_threads = True
    request_queue_size = 1024

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.lock = threading.Lock()
        super().__init__((CORE_ADDRESS, RECEIVER_PORT), ReceiverHandler)


class ReceiverHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
        call = Call(time.time(), self.client_address[0], int(self.headers.get("X-Execution-Id") or 0))
        with self.server.lock:
            self.server.calls.append(call)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(ANSWER_AFTER_SECONDS)
        try:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
        except (BrokenPipeError, ConnectionResetError):  # the caller timed out and hung up: recorded already
            self.close_connection = True

    def log_message(self, *args: Any) -> None:
        return


class Run:
    def __init__(self, options: argparse.Namespace, network: Network, folder: Path) -> None:
        self.options, self.network, self.folder = options, network, folder
        self.postgres = Postgres(folder, CORE_ADDRESS, 5432)
        self.redis = RedisServer(folder, CORE_ADDRESS, 6379)
        self.processes: list[subprocess.Popen[bytes]] = []
        self.receiver = Receiver()

    def environment(self) -> dict[str, str]:
        return {
            "DATABASE_URL": self.postgres.url,
            "REDIS_URL": self.redis.url,
            "DJANGO_SETTINGS_MODULE": "scheduler_project.settings",
            "VAR_DIR": str(self.folder / "var"),
            "CELERY_QUEUE": "partition",
            "EXECUTION_RECOVERY_GRACE_SECONDS": str(self.options.recovery_grace),
            "EXECUTION_REDISPATCH_AFTER_SECONDS": str(self.options.redispatch_after),
            # The receiver lives on a private network; an egress policy must let calls reach it.
            "CALLBACK_ALLOWED_NETWORKS": SUBNET,
            "LOG_LEVEL": "INFO",
        }

    def execute(self) -> int:
        try:
            self._start_servers()
            self._start_hosts()
            jobs, first_due = self._create_jobs()
            cut_at = first_due + self.options.cut_at
            self._partition(cut_at)
            self._wait_for_the_end(first_due)
            return Report(self, jobs, cut_at).print()
        finally:
            self._stop()

    def _start_servers(self) -> None:
        self.postgres.start()
        self.redis.start()
        os.environ.update(self.environment())
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=os.environ.copy(), check=True)
        import django

        django.setup()
        threading.Thread(target=self.receiver.serve_forever, daemon=True).start()

    def _start_hosts(self) -> None:
        for index, host in enumerate(self.network.hosts, start=1):
            worker = ["worker", "-l", "info", "-P", "threads", "-c", "8", "-n", f"worker-{index}@%h", "-Q", "partition"]
            self._spawn(host, f"worker-{index}", *worker)
            beat = ["beat", "-l", "info", "-S", "tasks_app.scheduler:JobScheduler", "-s", str(self.folder / f"beat-{index}")]
            self._spawn(host, f"beat-{index}", *beat)
        deadline = time.monotonic() + 90
        while not all("ready." in self._log(f"worker-{index}") for index in range(1, len(self.network.hosts) + 1)):
            if time.monotonic() > deadline:
                raise SystemExit("the workers did not start; see the logs")
            time.sleep(0.5)
        print(f"{len(self.processes)} processes up on {len(self.network.hosts)} hosts", flush=True)

    def _spawn(self, host: str, name: str, *arguments: str) -> None:
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115  (closed with the process)
        command = [*self.network.exec_prefix(host), sys.executable, "-m", "celery", "-A", "scheduler_project", *arguments]
        self.processes.append(
            subprocess.Popen(command, cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        )

    def _log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def _create_jobs(self) -> tuple[list[int], float]:
        from tasks_app import services

        first_due = datetime.now(UTC) + timedelta(seconds=10)
        spacing = 1 / self.options.fires_per_second
        callback = {
            "kind": "http",
            "url": f"http://{CORE_ADDRESS}:{RECEIVER_PORT}/fire",
            "method": "POST",
            "timeout_seconds": self.options.callback_timeout,
        }
        jobs = [
            services.create_job(
                namespace="partition", name=f"one-off-{index}", callback=callback,
                trigger={"kind": "at", "at": (first_due + timedelta(seconds=index * spacing)).isoformat()},
            ).pk
            for index in range(self.options.jobs)
        ]  # fmt: skip
        print(f"{len(jobs)} one-offs due from {first_due:%H:%M:%S}, {self.options.fires_per_second:g} a second", flush=True)
        return jobs, first_due.timestamp()

    def _partition(self, cut_at: float) -> None:
        time.sleep(max(0.0, cut_at - time.time()))
        self.network.cut(1)
        print(f"{time.strftime('%H:%M:%S')} cut host 1 ({self.network.host_address(1)}) for {self.options.cut_seconds:g}s", flush=True)
        time.sleep(self.options.cut_seconds)
        self.network.restore(1)
        print(f"{time.strftime('%H:%M:%S')} restored host 1", flush=True)

    def _wait_for_the_end(self, first_due: float) -> None:
        """Until every attempt has ended, at most the recovery bound after the last is due."""
        from tasks_app.models import Execution

        last_due = first_due + self.options.jobs / self.options.fires_per_second
        bound = self.options.callback_timeout + self.options.recovery_grace + self.options.redispatch_after + 30
        while time.time() < last_due + bound:
            if time.time() > last_due + 5 and not Execution.objects.filter(status__in=["queued", "running"]).exists():
                break
            time.sleep(1)
        time.sleep(3)  # a late duplicate still on its way

    def _stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.receiver.shutdown()
        self.redis.stop()
        self.postgres.stop()


class Report:
    def __init__(self, run: Run, jobs: list[int], cut_at: float) -> None:
        from tasks_app.models import Execution

        self.run, self.jobs, self.cut_at = run, jobs, cut_at
        self.executions = list(Execution.objects.filter(job_id__in=jobs).values("id", "job_id", "scheduled_for", "status"))
        self.calls = list(run.receiver.calls)
        self.cut_host = run.network.host_address(1)

    def print(self) -> int:
        by_execution = {row["id"]: row for row in self.executions}
        calls_by_execution: dict[int, list[Call]] = defaultdict(list)
        for call in self.calls:
            calls_by_execution[call.execution_id].append(call)
        delivered = {by_execution[pk]["job_id"] for pk in calls_by_execution if pk in by_execution}
        per_occurrence: dict[tuple[int, Any], int] = defaultdict(int)
        for row in self.executions:
            per_occurrence[(row["job_id"], row["scheduled_for"])] += 1
        taken_over = self._taken_over(calls_by_execution)
        rows = {
            "expected fires": len(self.jobs),
            "delivered": len(delivered),
            "lost": len(self.jobs) - len(delivered),
            "doubled (one occurrence, two executions)": sum(1 for count in per_occurrence.values() if count > 1),
            "repeated calls (one execution, at-least-once)": sum(len(calls) - 1 for calls in calls_by_execution.values()),
            "stuck (queued/running at the end)": sum(1 for row in self.executions if row["status"] in ("queued", "running")),
            "recorded as not succeeded (every call was answered 200)": sum(1 for row in self.executions if row["status"] != "succeeded"),
            "attempts the cut-off host held, re-run by the other": len(taken_over),
            "  of them re-run within the recovery bound": f"{self._within_bound(calls_by_execution, taken_over)} of {len(taken_over)}",
            "  of them recorded as not succeeded (late outcome won)": sum(
                1 for pk in taken_over if by_execution[pk]["status"] != "succeeded"
            ),
            "takeover: cut to the other host's re-run, max s": f"{max(taken_over.values()):.1f}" if taken_over else "n/a",
        }
        restored = self.cut_at + self.run.options.cut_seconds
        windows = (("before the cut", 0.0, self.cut_at), ("during it", self.cut_at, restored), ("after it", restored, float("inf")))
        for window, start, end in windows:
            lateness = self._lateness(calls_by_execution, by_execution, start, end)
            late = sum(1 for seconds in lateness if seconds > LATE_SECONDS)
            rows[f"fires due {window}: later than {LATE_SECONDS:g}s / max lateness s"] = f"{late} / {max(lateness, default=0):.1f}"
        options = self.run.options
        print(
            f"\ncallback timeout {options.callback_timeout}s, recovery grace {options.recovery_grace}s, "
            f"re-send after {options.redispatch_after}s; host 1 cut for {options.cut_seconds:g}s"
        )
        width = max(len(name) for name in rows)
        print("\n" + "\n".join(f"{name:<{width}}  {value}" for name, value in rows.items()), flush=True)
        self._write_timelines(calls_by_execution, by_execution, set(taken_over))
        return (
            0 if rows["lost"] == rows["doubled (one occurrence, two executions)"] == rows["stuck (queued/running at the end)"] == 0 else 1
        )

    def _taken_over(self, calls_by_execution: dict[int, list[Call]]) -> dict[int, float]:
        """Attempts the cut-off host called and the other host called again: seconds from the cut."""
        return {
            pk: min(call.at for call in calls if call.source != self.cut_host) - self.cut_at
            for pk, calls in calls_by_execution.items()
            if any(call.source == self.cut_host for call in calls) and any(call.source != self.cut_host for call in calls)
        }

    def _within_bound(self, calls_by_execution: dict[int, list[Call]], taken_over: dict[int, float]) -> int:
        """Re-runs that started within the recovery bound of the cut-off host's call: its timeout,
        the grace, and one period of beat's recovery sweep."""
        from tasks_app.scheduler import RECOVERY_EVERY_SECONDS

        options = self.run.options
        bound = options.callback_timeout + options.recovery_grace + RECOVERY_EVERY_SECONDS
        return sum(
            1
            for pk, rerun_after_cut in taken_over.items()
            if self.cut_at + rerun_after_cut - min(call.at for call in calls_by_execution[pk] if call.source == self.cut_host) <= bound
        )

    def _lateness(self, calls_by_execution: dict[int, list[Call]], by_execution: dict[int, Any], start: float, end: float) -> list[float]:
        """First call minus due, for the attempts due within [start, end)."""
        return [
            min(call.at for call in calls) - by_execution[pk]["scheduled_for"].timestamp()
            for pk, calls in calls_by_execution.items()
            if pk in by_execution and start <= by_execution[pk]["scheduled_for"].timestamp() < end
        ]

    def _write_timelines(self, calls_by_execution: dict[int, list[Call]], by_execution: dict[int, Any], taken_over: set[int]) -> None:
        """calls.txt in the run's folder: for every attempt called more than once, or due during the
        cut, its due time and each call (seconds from the cut, calling host), then its final status."""
        restored = self.cut_at + self.run.options.cut_seconds
        lines = []
        for pk, row in sorted(by_execution.items(), key=lambda item: item[1]["scheduled_for"]):
            due = row["scheduled_for"].timestamp()
            calls = calls_by_execution.get(pk, [])
            if pk in taken_over or len(calls) > 1 or self.cut_at <= due < restored:
                timeline = " ".join(f"{call.at - self.cut_at:+.1f}s@{call.source}" for call in calls) or "never called"
                lines.append(f"execution {pk} due {due - self.cut_at:+.1f}s: {timeline} -> {row['status']}")
        (self.run.folder / "calls.txt").write_text("\n".join(lines) + "\n")
        print(f"timelines (seconds from the cut) in {self.run.folder / 'calls.txt'}", flush=True)
