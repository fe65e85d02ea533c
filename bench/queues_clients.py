"""The clients `bench/queues.py` drives: a worker over gRPC (a receive stream and a report
stream, one task at a time), a worker over the REST mirror (one POST to receive, one to report),
and the reference: a plain Redis list (LPUSH, then BRPOP) carrying the same number of items."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis
import requests

from api_app.grpc.generated import standard_pb2 as pb
from api_app.grpc.generated.standard_pb2_grpc import QueuesStub

REST_WAIT_SECONDS = 1


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


@dataclass
class Tally:
    """What the workers of one run saw: each task id received, each report's State, latencies."""

    received: list[int] = field(default_factory=list)
    refused: list[tuple[int, int, str]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, task_id: int, latency: float, state: int, message: str) -> None:
        with self.lock:
            self.received.append(task_id)
            self.latencies.append(latency)
            if state != 200:
                self.refused.append((task_id, state, message))


class Worker(Protocol):
    def receive(self, channel: str) -> int: ...
    def report(self, task_id: int) -> tuple[int, str]: ...
    def close(self) -> None: ...


class Client(Protocol):
    name: str

    def create(self, channel: str) -> None: ...
    def worker(self) -> Worker: ...


def work(client: Client, channel: str, tickets: Tickets, tally: Tally) -> None:
    """One worker: receive a task, report it, until the tickets run out."""
    worker = client.worker()
    try:
        while tickets.take():
            started = time.perf_counter()
            task_id = worker.receive(channel)
            latency = time.perf_counter() - started
            tally.add(task_id, latency, *worker.report(task_id))
    finally:
        worker.close()


# --- gRPC ----------------------------------------------------------------------------------------


class GrpcWorker:
    def __init__(self, stub: QueuesStub) -> None:
        self._asks: queue.Queue[pb.ReceiveQueueByChannelRequest | None] = queue.Queue()
        self._reports: queue.Queue[pb.ReportTaskResultRequest | None] = queue.Queue()
        self._tasks: Iterator[Any] = stub.ReceiveQueueByChannel(iter(self._asks.get, None), timeout=600)
        self._answers: Iterator[Any] = stub.ReportTaskResult(iter(self._reports.get, None), timeout=600)

    def receive(self, channel: str) -> int:
        self._asks.put(pb.ReceiveQueueByChannelRequest(Channel=channel))
        return int(next(self._tasks).Tasks.ID)

    def report(self, task_id: int) -> tuple[int, str]:
        self._reports.put(pb.ReportTaskResultRequest(ID=task_id, State=1, Output="done"))
        answer = next(self._answers)
        return answer.State, answer.Message

    def close(self) -> None:
        self._asks.put(None)
        self._reports.put(None)


@dataclass
class GrpcClient:
    stub: QueuesStub
    name: str = "gRPC"

    def create(self, channel: str) -> None:
        answer = self.stub.CreateTask(pb.CreateTaskRequest(Task=pb.Task(Channel=channel, Input="payload")), timeout=30)
        assert answer.State == 200, answer.Message

    def worker(self) -> GrpcWorker:
        return GrpcWorker(self.stub)


# --- the REST mirror -----------------------------------------------------------------------------


class RestWorker:
    def __init__(self, base: str) -> None:
        self._base = base
        self._session = requests.Session()

    def _post(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self._session.post(f"{self._base}/api/queues/{method}", json=body, timeout=30)
        return dict(answer.json())

    def receive(self, channel: str) -> int:
        for _ in range(60):  # the queue is full: an empty answer is a rare race, never a wait for long
            task = self._post("ReceiveQueueByChannel", {"Channel": channel, "WaitSeconds": REST_WAIT_SECONDS}).get("Tasks")
            if task:
                return int(task["ID"])
        raise AssertionError(f"nothing received from {channel} for a minute")

    def report(self, task_id: int) -> tuple[int, str]:
        answer = self._post("ReportTaskResult", {"ID": task_id, "State": 1, "Output": "done"})
        return int(answer["State"]), str(answer["Message"])

    def close(self) -> None:
        self._session.close()


@dataclass
class RestClient:
    base: str
    name: str = "REST"

    def create(self, channel: str) -> None:
        answer = requests.post(f"{self.base}/api/queues/CreateTask", json={"Task": {"Channel": channel, "Input": "payload"}}, timeout=30)
        assert answer.status_code == 200, answer.text

    def worker(self) -> RestWorker:
        return RestWorker(self.base)


# --- the reference: a plain Redis list -------------------------------------------------------------


def redis_list(client: redis.Redis, *, receivers: int, count: int, creators: int, timed: Callable[..., float]) -> float:
    """Tasks per second through LPUSH (``creators`` threads) then BRPOP (``receivers`` threads),
    each phase timed as ours is. The list is deleted afterwards."""
    key = f"bench-queues:list:{time.time_ns()}"
    pushes, pops = Tickets(count), Tickets(count)

    def push() -> None:
        while pushes.take():
            client.lpush(key, "payload")

    def pop() -> None:
        while pops.take():
            assert client.brpop([key], timeout=30) is not None, "the list ran dry"

    try:
        return count / (timed(push, creators) + timed(pop, receivers))
    finally:
        client.delete(key)
