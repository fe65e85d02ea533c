"""standard.Queues over gRPC: the six unary methods are their handlers; the two streams add what
a stream needs. Undecodable messages are answered (400, or INVALID_ARGUMENT on the receive
stream, whose response has no State), never raised: the server keeps serving.

A receive stream holds the tasks it handed out until they are reported. When it closes (the
client cancels or disconnects, its deadline passes, the server stops), those nobody reported go
back to the queue at once. A client that stops sending requests keeps the stream open while it
still holds unreported tasks, so a worker that asked for its last task may still report it; the
stream ends once it holds none (or when the client goes away).

A ``QueuesServicer`` belongs to one server: it works on that server's database threads, and its
own thread gives back the tasks of closed streams until the server stops."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import grpc
from django.conf import settings
from google.protobuf.message import DecodeError, Message

from api_app.grpc import handlers
from api_app.grpc.database import ServerDatabase
from api_app.grpc.generated import standard_pb2 as pb
from tasks_app import services
from tasks_app.exceptions import Forbidden, JobError
from tasks_app.models import QueueTask
from tasks_app.outages import drop_broken_connections
from tasks_app.services.queue_handout import Report
from tasks_app.services.queues import Lease

logger = logging.getLogger(__name__)
SERVICE = "standard.Queues"
# A stream re-checks which of its tasks are still held once it holds this many.
PRUNE_HELD_AT = 64


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


def answer(method: handlers.Method, request: Message | Malformed) -> Message:
    if isinstance(request, Malformed):
        return method.response_type(State=400, Message=request.message)
    return method.handler(request)


@contextmanager
def unavailable_during_outages(context: grpc.ServicerContext) -> Iterator[None]:
    """The database or Redis is down: the call fails UNAVAILABLE (clients retry those), and
    this thread's broken connection is replaced before its next call."""
    try:
        yield
    except handlers.OUTAGE_ERRORS as error:
        drop_broken_connections()
        context.abort(grpc.StatusCode.UNAVAILABLE, f"unavailable: {type(error).__name__}: {error}")


class QueuesServicer:
    """standard.Queues' behaviours for one server."""

    def __init__(self, database: ServerDatabase) -> None:
        self.database = database
        # Notified when a report settles a task here, so lingering streams look again at once.
        self.settled = threading.Condition()
        # Streams end in gRPC's own threads: giving their tasks back happens here, off those
        # threads. One thread, so that waiting for a no-op waits for everything submitted before it.
        self._returns = ThreadPoolExecutor(max_workers=1, thread_name_prefix="queues-return")

    def method_handlers(self) -> dict[str, grpc.RpcMethodHandler]:
        table = {
            name: grpc.unary_unary_rpc_method_handler(
                self.unary(method),
                request_deserializer=tolerant(method.request_type),
                response_serializer=method.response_type.SerializeToString,
            )
            for name, method in handlers.UNARY.items()
        }
        table["CreateTask"] = grpc.unary_unary_rpc_method_handler(
            self.create, request_deserializer=tolerant(pb.CreateTaskRequest), response_serializer=pb.CreateTaskResponse.SerializeToString
        )
        table["ReportTaskResult"] = grpc.stream_stream_rpc_method_handler(
            self.report_results,
            request_deserializer=tolerant(pb.ReportTaskResultRequest),
            response_serializer=pb.ReportTaskResultResponse.SerializeToString,
        )
        table["ReceiveQueueByChannel"] = grpc.stream_stream_rpc_method_handler(
            self.receive_tasks,
            request_deserializer=tolerant(pb.ReceiveQueueByChannelRequest),
            response_serializer=pb.ReceiveQueueByChannelResponse.SerializeToString,
        )
        return table

    def unary(self, method: handlers.Method) -> Callable[[Any, grpc.ServicerContext], Message]:
        def behavior(request: Message | Malformed, context: grpc.ServicerContext) -> Message:
            with unavailable_during_outages(context):
                return self.database.run(answer, method, request)

        return behavior

    def create(self, request: Any, context: grpc.ServicerContext) -> pb.CreateTaskResponse:
        """A creation, made in the creator's next batch (see api_app.grpc.database)."""
        if isinstance(request, Malformed):
            return pb.CreateTaskResponse(State=400, Message=request.message)
        with unavailable_during_outages(context):
            return handlers.create_task(request, create=self.database.create)

    def report_results(self, requests: Iterable[Any], context: grpc.ServicerContext) -> Iterator[Message]:
        try:
            with unavailable_during_outages(context):
                for request in requests:
                    response = self._report(request)
                    if response.State == handlers.OK:
                        with self.settled:
                            self.settled.notify_all()
                    yield response
        except grpc.RpcError:
            return  # the client went away; every report it sent was answered

    def _report(self, request: Any) -> pb.ReportTaskResultResponse:
        """A report, taken in the reporter's next batch (see api_app.grpc.database)."""
        if isinstance(request, Malformed):
            return pb.ReportTaskResultResponse(State=400, Message=request.message)
        with handlers.answering(pb.ReportTaskResultResponse()) as response:
            response.Data = self.database.report(Report(request.ID, request.State, request.Output)).pk
        return response

    def receive_tasks(self, requests: Iterable[Any], context: grpc.ServicerContext) -> Iterator[pb.ReceiveQueueByChannelResponse]:
        session = ReceiveSession(holder=context.peer(), servicer=self)
        if not context.add_callback(session.close):
            return  # terminated before it began
        try:
            for request in requests:
                task = self._next_task(request, context, session)
                if task is None:
                    return  # the stream went away while it waited
                yield pb.ReceiveQueueByChannelResponse(Tasks=handlers.task_message(task))
            session.linger(context)
        except grpc.RpcError:
            return  # the client went away: session.close gives back what it held

    def _next_task(self, request: Any, context: grpc.ServicerContext, session: ReceiveSession) -> QueueTask | None:
        if isinstance(request, Malformed):
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, request.message)
        try:
            task = services.receive_queue_task(
                channel=request.Channel,
                wait_seconds=None,
                stop=lambda: not context.is_active(),
                holder=session.holder,
                claim=self.database.claim,
            )
        except Forbidden as error:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, str(error))
        except JobError as error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        except handlers.OUTAGE_ERRORS as error:
            drop_broken_connections()
            context.abort(grpc.StatusCode.UNAVAILABLE, f"unavailable: {type(error).__name__}: {error}")
        except Exception:
            logger.exception("receiving from channel %r failed", request.Channel)
            context.abort(grpc.StatusCode.INTERNAL, "internal error")
        if task is not None and not session.hold(task):
            self.give_back({(task.pk, task.deliveries)})
            return None
        return task

    def give_back_later(self, leases: set[Lease]) -> None:
        self._returns.submit(self.give_back, leases)

    def give_back(self, leases: set[Lease]) -> None:
        try:
            self.database.run(services.return_queue_tasks, leases=leases)
        except Exception:  # logged; their leases still expire, so nothing is lost
            logger.exception("could not give back %d task(s) of a closed stream", len(leases))

    def stop(self) -> None:
        """Let streams that just closed finish giving their tasks back, then end the thread."""
        self._returns.submit(lambda: None).result(timeout=30)
        self._returns.shutdown(wait=True)


class ReceiveSession:
    """The leases one receive stream holds, given back when the stream closes."""

    def __init__(self, holder: str, servicer: QueuesServicer) -> None:
        self.holder = holder
        self.servicer = servicer
        self._lock = threading.Lock()
        self._held: set[Lease] = set()
        self._open = True
        self._prune_at = PRUNE_HELD_AT

    def hold(self, task: QueueTask) -> bool:
        """Record a delivery; False when the stream already closed (the caller gives it back)."""
        with self._lock:
            if self._open:
                self._held.add((task.pk, task.deliveries))
            is_open, count = self._open, len(self._held)
        if count >= self._prune_at:  # a long-lived stream: forget what was reported
            self._prune_at = max(PRUNE_HELD_AT, 2 * len(self.still_held()))
        return is_open

    def still_held(self) -> set[Lease]:
        """Forget the leases that were reported or ended; returns those still held."""
        with self._lock:
            snapshot = set(self._held)
        current = self.servicer.database.run(services.held_leases, leases=snapshot) if snapshot else set()
        with self._lock:
            self._held -= snapshot - current
            return set(self._held)

    def linger(self, context: grpc.ServicerContext) -> None:
        """After the client's last request: stay open while its tasks are unreported. Bounded by
        their leases, which end (and are swept) within the lease time."""
        deadline = time.monotonic() + settings.QUEUE_LEASE_SECONDS + 60
        while time.monotonic() < deadline:
            if not context.is_active() or not self.still_held():
                return
            with self.servicer.settled:
                self.servicer.settled.wait(timeout=1.0)

    def close(self) -> None:
        """gRPC's callback when the stream terminates, whatever the reason: what it still holds
        goes back (a lease that was reported meanwhile is left alone by the service)."""
        with self._lock:
            self._open, held = False, self._held
            self._held = set()
        if held:
            self.servicer.give_back_later(held)
