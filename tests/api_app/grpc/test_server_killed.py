"""No task is lost when the gRPC server is killed mid-stream: every creation it acknowledged is
in the database, and every task its streams held (answered or still being claimed) comes back
when its lease ends, to be received and reported by a worker of the next server."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import grpc
from django.utils import timezone

from api_app.grpc.generated import standard_pb2 as pb
from api_app.grpc.generated.standard_pb2_grpc import QueuesStub
from tasks_app import services
from tasks_app.models import QueueTask, QueueTaskEvent
from tests.api_app.grpc.client import Receiver, Reporter
from tests.api_app.grpc.tokens import authorized, staff_key
from tests.conftest import ROOT, Processes, wait_for

SUCCESS = 1
TASKS = 24
LEASE_SECONDS = 2


@contextmanager
def grpc_server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], QueuesStub]]:
    """`manage.py grpcserver` on the test database, in its own process group (killed at the end)."""
    env = Processes(tmp_path).env() | {"QUEUE_LEASE_SECONDS": str(LEASE_SECONDS)}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "grpcserver", "--port", "0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        port = next(int(m.group(1)) for line in process.stdout if (m := re.search(r"serving standard\.Queues on .*:(\d+)", line)))
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield process, QueuesStub(authorized(channel, staff_key()))
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def create(stub: QueuesStub, number: int) -> int:
    return stub.CreateTask(pb.CreateTaskRequest(Task=pb.Task(Channel="crash", Input=str(number))), timeout=10).State


def test_killing_the_server_mid_stream_loses_no_task(transactional_db: None, redis_client: object, tmp_path: Path) -> None:
    with grpc_server(tmp_path) as (server, stub):
        with ThreadPoolExecutor(max_workers=4) as creators:  # concurrent creations share batches
            assert list(creators.map(lambda n: create(stub, n), range(TASKS))) == [200] * TASKS
        streams = [Receiver(stub) for _ in range(4)]
        held = [stream.take("crash").ID for stream in streams]
        reporter = Reporter(stub)
        assert reporter.report(held[0], SUCCESS, "done").State == 200
        in_flight = [stream.ask("crash") for stream in streams]  # claims under way when it dies
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        for stream in streams:
            stream.cancel()
        reporter.cancel()
    assert QueueTask.objects.filter(channel="crash").count() == TASKS, "every acknowledged creation was committed"
    assert in_flight  # answered or not, their tasks are leased in the database
    with grpc_server(tmp_path) as (_, stub):
        wait_for(lambda: _sweep() >= 0 and not QueueTask.objects.filter(state="PROCEEDING").exists(), timeout=20, message="leases to end")
        drain(stub, TASKS - 1)
    assert QueueTask.objects.filter(channel="crash", state="SUCCESS").count() == TASKS
    succeeded = QueueTaskEvent.objects.filter(task__channel="crash", kind="succeeded").values_list("task_id", flat=True)
    assert sorted(succeeded) == sorted(QueueTask.objects.filter(channel="crash").values_list("pk", flat=True)), "each reported once"
    assert set(held[1:]) <= set(QueueTaskEvent.objects.filter(kind="lease_expired").values_list("task_id", flat=True))


def _sweep() -> int:
    """What beat's periodic sweep runs (the e2e tests run it from real beat and worker processes)."""
    return services.sweep_queue_tasks(now=timezone.now())


def drain(stub: QueuesStub, count: int) -> None:
    receiver, reporter = Receiver(stub), Reporter(stub)
    try:
        for _ in range(count):
            assert reporter.report(receiver.take("crash").ID, SUCCESS, "done").State == 200
    finally:
        receiver.cancel()
        reporter.cancel()
