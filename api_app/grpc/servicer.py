"""standard.Queues over gRPC: the six unary methods are their handlers; the two streams add what
a stream needs. Undecodable messages are answered (400, or INVALID_ARGUMENT on the receive
stream, whose response has no State), never raised: the server keeps serving.

A receive stream holds the tasks it handed out. When it drops (cancelled, disconnected, past its
deadline, the server stopping) those nobody reported go back to the queue at once. A stream the
client closes in the ordinary way (it sends no more requests) keeps its leases: its worker may
still report, and the lease returns the task otherwise."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import grpc
from django.db import close_old_connections
from google.protobuf.message import DecodeError, Message

from api_app.grpc import handlers
from api_app.grpc.generated import standard_pb2 as pb
from tasks_app import services
from tasks_app.exceptions import JobError
from tasks_app.models import QueueTask
from tasks_app.services.queues import Lease

logger = logging.getLogger(__name__)
SERVICE = "standard.Queues"
# A stream re-checks which of its tasks are still held once it holds this many.
PRUNE_HELD_AT = 64
# Streams end in gRPC's own threads: giving their tasks back happens here, off those threads.
# One thread, so that waiting for a no-op waits for everything submitted before it.
_returns = ThreadPoolExecutor(max_workers=1, thread_name_prefix="queues-return")


@dataclass(frozen=True)
class Malformed:
    """What an undecodable request becomes: the handler answers it instead of gRPC failing it."""

    message: str


def tolerant(message_type: type[Message]) -> Callable[[bytes], Message | Malformed]:
    def deserialize(data: bytes) -> Message | Malformed:
        try:
            return message_type.FromString(data)
        except DecodeError as error:
            return Malformed(f"malformed {message_type.DESCRIPTOR.name}: {error}")

    return deserialize


@contextmanager
def database() -> Iterator[None]:
    """What Django does around each request: drop a broken or expired connection."""
    close_old_connections()
    try:
        yield
    finally:
        close_old_connections()


def unary(method: handlers.Method) -> Callable[[Any, grpc.ServicerContext], Message]:
    def behavior(request: Message | Malformed, context: grpc.ServicerContext) -> Message:
        if isinstance(request, Malformed):
            return method.response_type(State=400, Message=request.message)
        with database():
            return method.handler(request)

    return behavior


def report_results(requests: Iterable[Any], context: grpc.ServicerContext) -> Iterator[Message]:
    answer = unary(handlers.REPORT)
    try:
        for request in requests:
            yield answer(request, context)
    except grpc.RpcError:
        return  # the client went away; every report it sent was answered


class ReceiveSession:
    """The leases one receive stream holds, given back when the stream drops."""

    def __init__(self, holder: str) -> None:
        self.holder = holder
        self._lock = threading.Lock()
        self._held: set[Lease] = set()
        self._open = True
        self._ended_normally = False

    def hold(self, task: QueueTask) -> bool:
        """Record a delivery; False when the stream already closed (the caller gives it back)."""
        with self._lock:
            if self._open:
                self._held.add((task.pk, task.deliveries))
            return self._open

    def prune(self) -> None:
        with self._lock:
            snapshot = set(self._held)
        if len(snapshot) >= PRUNE_HELD_AT:
            settled = snapshot - services.held_leases(leases=snapshot)
            with self._lock:
                self._held -= settled

    def end_normally(self) -> None:
        self._ended_normally = True

    def close(self) -> None:
        """gRPC's callback when the stream terminates, whatever the reason."""
        with self._lock:
            self._open, held = False, self._held
            self._held = set()
        if held and not self._ended_normally:
            _returns.submit(give_back, held)


def give_back(leases: set[Lease]) -> None:
    with database():
        try:
            services.return_queue_tasks(leases=leases)
        except Exception:  # logged; their leases still expire, so nothing is lost
            logger.exception("could not give back %d task(s) of a closed stream", len(leases))


def receive_tasks(requests: Iterable[Any], context: grpc.ServicerContext) -> Iterator[pb.ReceiveQueueByChannelResponse]:
    session = ReceiveSession(holder=context.peer())
    if not context.add_callback(session.close):
        return  # terminated before it began
    try:
        for request in requests:
            task = _next_task(request, context, session)
            if task is None:
                return  # the stream went away while it waited
            yield pb.ReceiveQueueByChannelResponse(Tasks=handlers.task_message(task))
    except grpc.RpcError:
        return  # the client went away: session.close gives back what it held
    session.end_normally()


def _next_task(request: Any, context: grpc.ServicerContext, session: ReceiveSession) -> QueueTask | None:
    if isinstance(request, Malformed):
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, request.message)
    try:
        with database():
            task = services.receive_queue_task(
                channel=request.Channel, wait_seconds=None, stop=lambda: not context.is_active(), holder=session.holder
            )
            session.prune()
    except JobError as error:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
    except Exception:
        logger.exception("receiving from channel %r failed", request.Channel)
        context.abort(grpc.StatusCode.INTERNAL, "internal error")
    if task is not None and not session.hold(task):
        give_back({(task.pk, task.deliveries)})
        return None
    return task


def method_handlers() -> dict[str, grpc.RpcMethodHandler]:
    table = {
        name: grpc.unary_unary_rpc_method_handler(
            unary(method), request_deserializer=tolerant(method.request_type), response_serializer=method.response_type.SerializeToString
        )
        for name, method in handlers.UNARY.items()
    }
    table["ReportTaskResult"] = grpc.stream_stream_rpc_method_handler(
        report_results,
        request_deserializer=tolerant(pb.ReportTaskResultRequest),
        response_serializer=pb.ReportTaskResultResponse.SerializeToString,
    )
    table["ReceiveQueueByChannel"] = grpc.stream_stream_rpc_method_handler(
        receive_tasks,
        request_deserializer=tolerant(pb.ReceiveQueueByChannelRequest),
        response_serializer=pb.ReceiveQueueByChannelResponse.SerializeToString,
    )
    return table


def wait_for_returns() -> None:
    """Let streams that just closed finish giving their tasks back (before the process exits)."""
    _returns.submit(lambda: None).result(timeout=30)
