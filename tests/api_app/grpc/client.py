"""A worker's side of the two streams, as a client generated from standard.proto drives them.
Every wait is bounded: streams carry a deadline and each answer is awaited with a timeout."""

from __future__ import annotations

import queue
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from api_app.grpc.generated import standard_pb2 as pb
from api_app.grpc.generated.standard_pb2_grpc import QueuesStub

STREAM_DEADLINE_SECONDS = 60


class _Stream:
    def __init__(self, method: Any) -> None:
        self._requests: queue.Queue[Any] = queue.Queue()
        self._call = method(iter(self._requests.get, None), timeout=STREAM_DEADLINE_SECONDS)
        self._answers = ThreadPoolExecutor(max_workers=1)

    def send(self, request: Any) -> Any:
        """Send one request; the returned future resolves to its answer."""
        self._requests.put(request)
        return self._answers.submit(next, self._call)

    def close(self) -> None:
        """No more requests (a half-close): the ordinary end of a stream."""
        self._requests.put(None)

    def cancel(self) -> None:
        """Drop the stream, as a worker that dies or disconnects does."""
        self._call.cancel()
        self._requests.put(None)
        self._answers.shutdown(wait=False, cancel_futures=True)

    def done(self) -> bool:
        return bool(self._call.done())

    def code(self) -> Any:
        """How the stream ended (this waits for the end)."""
        return self._call.code()


class Receiver(_Stream):
    def __init__(self, stub: QueuesStub) -> None:
        super().__init__(stub.ReceiveQueueByChannel)

    def ask(self, channel: str) -> Any:
        return self.send(pb.ReceiveQueueByChannelRequest(Channel=channel))

    def take(self, channel: str, timeout: float = 10) -> pb.Task:
        return self.ask(channel).result(timeout=timeout).Tasks


class Reporter(_Stream):
    def __init__(self, stub: QueuesStub) -> None:
        super().__init__(stub.ReportTaskResult)

    def report(self, task_id: int, state: int, output: str = "") -> pb.ReportTaskResultResponse:
        return self.send(pb.ReportTaskResultRequest(ID=task_id, State=state, Output=output)).result(timeout=10)


def create(stub: QueuesStub, channel: str = "work", **fields: Any) -> pb.Task:
    """Create a task and read it back."""
    created = stub.CreateTask(pb.CreateTaskRequest(Task=pb.Task(Channel=channel, **fields)), timeout=10)
    assert created.State == 200, created.Message
    return stub.QueryTaskByHashCode(pb.QueryTaskByHashCodeRequest(HashCode=created.Data), timeout=10).Data


def task(stub: QueuesStub, task_id: int) -> pb.Task:
    return stub.QueryTaskByID(pb.QueryTaskByIDRequest(ID=task_id), timeout=10).Data


def length(stub: QueuesStub, channel: str = "work") -> int:
    return stub.QueryLengthByChannel(pb.QueryLengthByChannelRequest(Channel=channel), timeout=10).Data
