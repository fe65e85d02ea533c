"""Benchmark of the queues dialect over real gRPC: tasks per second through CreateTask ->
ReceiveQueueByChannel -> ReportTaskResult with 1, 8 and 32 concurrent streaming receivers, and
the receive latency (request sent -> task received) p50/p99 on a filled queue.

    make bench-queues                       # or: python bench/queues.py --tasks 1000 --receivers 1,8,32

The server is `manage.py grpcserver` on 127.0.0.1 (a free port), in its own process as in
production; the receivers are threads of this one. Both use DATABASE_URL (default: a throwaway
SQLite file var/bench-queues.sqlite3, migrated here) and REDIS_URL (keys under "bench-queues:").
Numbers depend on the machine and database; they are for comparing changes, not promises."""

from __future__ import annotations

import argparse
import os
import queue
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_project.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench-queues.sqlite3'}")
os.environ.setdefault("REDIS_KEY_PREFIX", "bench-queues:")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import grpc  # noqa: E402
from django.core.management import call_command  # noqa: E402

from api_app.grpc.generated import standard_pb2 as pb  # noqa: E402
from api_app.grpc.generated.standard_pb2_grpc import QueuesStub  # noqa: E402
from tasks_app.models import QueueTask  # noqa: E402

CREATORS = 4


@dataclass
class Tickets:
    """Hands out exactly ``left`` turns across threads."""

    left: int
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True


def create_all(stub: QueuesStub, channel: str, count: int) -> float:
    tickets = Tickets(count)

    def creator() -> None:
        while tickets.take():
            answer = stub.CreateTask(pb.CreateTaskRequest(Task=pb.Task(Channel=channel, Input="payload")), timeout=30)
            assert answer.State == 200, answer.Message

    return timed(creator, CREATORS)


def receive_and_report(stub: QueuesStub, channel: str, tickets: Tickets, latencies: list[float]) -> None:
    """One worker: a receive stream and a report stream, one task at a time."""
    asks: queue.Queue[pb.ReceiveQueueByChannelRequest | None] = queue.Queue()
    reports: queue.Queue[pb.ReportTaskResultRequest | None] = queue.Queue()
    tasks = stub.ReceiveQueueByChannel(iter(asks.get, None), timeout=600)
    answers = stub.ReportTaskResult(iter(reports.get, None), timeout=600)
    while tickets.take():
        started = time.perf_counter()
        asks.put(pb.ReceiveQueueByChannelRequest(Channel=channel))
        task = next(tasks).Tasks
        latencies.append(time.perf_counter() - started)
        reports.put(pb.ReportTaskResultRequest(ID=task.ID, State=1, Output="done"))
        assert next(answers).State == 200
    asks.put(None)
    reports.put(None)


def timed(work: object, threads: int) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for future in [pool.submit(work) for _ in range(threads)]:  # type: ignore[arg-type]
            future.result()
    return time.perf_counter() - started


def run(stub: QueuesStub, receivers: int, count: int) -> dict[str, float]:
    channel = f"bench-{receivers}-{uuid.uuid4().hex[:8]}"
    created = create_all(stub, channel, count)
    latencies: list[float] = []
    tickets = Tickets(count)
    drained = timed(lambda: receive_and_report(stub, channel, tickets, latencies), receivers)
    assert QueueTask.objects.filter(channel=channel, state="SUCCESS").count() == count, "every task done once"
    QueueTask.objects.filter(channel=channel).delete()
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "receivers": receivers, "tasks": count, "create/s": count / created, "receive+report/s": count / drained,
        "end-to-end/s": count / (created + drained), "receive p50 ms": cuts[49] * 1000, "receive p99 ms": cuts[98] * 1000,
    }  # fmt: skip


def print_table(rows: list[dict[str, float]]) -> None:
    headers = list(rows[0])
    print("  ".join(f"{h:>16}" for h in headers))
    for row in rows:
        print("  ".join(f"{row[h]:>16.0f}" if h in ("receivers", "tasks") else f"{row[h]:>16.1f}" for h in headers))


def start_server(max_workers: int) -> tuple[subprocess.Popen[str], int]:
    # The benchmark measures the queue, not token lookups: its server runs without auth.
    env = os.environ | {"GRPC_MAX_WORKERS": str(max_workers), "API_AUTH_REQUIRED": "false"}
    command = [sys.executable, "manage.py", "grpcserver", "--bind", "127.0.0.1", "--port", "0"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert server.stdout is not None
    for _ in range(100):  # its first lines: the one naming the port comes once it serves
        found = re.search(r"serving standard\.Queues on 127\.0\.0\.1:(\d+)", server.stdout.readline())
        if found:
            return server, int(found.group(1))
    server.kill()
    raise SystemExit("the gRPC server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=1000, help="tasks per run (default 1000)")
    parser.add_argument("--receivers", default="1,8,32", help="comma-separated receiver counts (default 1,8,32)")
    arguments = parser.parse_args()
    counts = [int(n) for n in arguments.receivers.split(",")]
    call_command("migrate", verbosity=0)
    server, port = start_server(max_workers=2 * max(counts) + CREATORS + 4)
    print(f"queues benchmark on {os.environ['DATABASE_URL'].split('@')[-1]}, gRPC 127.0.0.1:{port}")
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            print_table([run(QueuesStub(channel), receivers, arguments.tasks) for receivers in counts])
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
