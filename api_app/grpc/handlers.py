"""The Queues methods on protobuf messages, shared by the gRPC servicer and the REST mirror.

Each handler reads its request message, calls one service and answers with the response
message: ``State`` 200 and ``Message`` "OK", or the error's State (400 bad request, 404 not
found, 500 internal error) and what went wrong, with ``Data`` left empty."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.utils import timezone
from google.protobuf.message import Message

from api_app.errors import describe
from api_app.grpc.generated import standard_pb2 as pb
from api_app.pagination import paged
from tasks_app import selectors, services
from tasks_app.exceptions import InvalidInput
from tasks_app.models import QueueTask
from tasks_app.outages import DATABASE_ERRORS, REDIS_ERRORS

OK = 200
# QueryTaskByOwner's Limit: 0 (unset in proto3) is the default; more than the most is refused.
DEFAULT_LIMIT, MAX_LIMIT = 20, 1000
OUTAGE_ERRORS = DATABASE_ERRORS + REDIS_ERRORS
Response = TypeVar("Response", bound=Message)


def state_for(status: int) -> int:
    """The Queues ``State`` of an error's HTTP-like status: a refused change (409) is a bad request;
    a part that is down (503) stays 503, so a REST client knows to try again."""
    if status == 503:
        return 503
    if status >= 500:
        return 500
    return 400 if status == 409 else status


@contextmanager
def answering(response: Response) -> Iterator[Response]:
    """Fill ``response`` in the block; an error raised there becomes its State and Message."""
    response.State, response.Message = OK, "OK"  # type: ignore[attr-defined]
    try:
        yield response
    except OUTAGE_ERRORS:
        raise  # not an answer: the call fails UNAVAILABLE (servicer.unavailable_during_outages)
    except Exception as error:  # every error is answered; describe() logs the unexpected ones
        info = describe(error)
        response.Clear()
        response.State, response.Message = state_for(info.status), info.message  # type: ignore[attr-defined]


def _time(moment: datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="milliseconds")


def task_message(task: QueueTask) -> pb.Task:
    return pb.Task(
        ID=task.pk, Next=task.next_id or 0, Prior=task.prior_id or 0, Owner=task.owner, State=task.state,
        Input=task.input, Output=task.output, Channel=task.channel, HashCode=task.hash_code,
        RetryCount=task.retry_count, CreateTime=_time(task.created_at), UpdateTime=_time(task.updated_at),
        RetryMaxLimit=task.retry_max_limit,
    )  # fmt: skip


def create_task(request: pb.CreateTaskRequest, create: Callable[..., tuple[QueueTask, bool]] | None = None) -> pb.CreateTaskResponse:
    """``create`` makes the task (default: ``services.create_queue_task``, in this thread)."""
    with answering(pb.CreateTaskResponse()) as response:
        given = request.Task
        task, created = (create or services.create_queue_task)(
            channel=given.Channel, hash_code=given.HashCode, owner=given.Owner, input=given.Input,
            prior_id=given.Prior, next_id=given.Next, retry_max_limit=given.RetryMaxLimit,
        )  # fmt: skip
        response.Data = task.hash_code
        response.Message = "OK" if created else f"OK: task {task.pk} already has this HashCode"
    return response


def query_task_by_id(request: pb.QueryTaskByIDRequest) -> pb.QueryTaskByIDResponse:
    with answering(pb.QueryTaskByIDResponse()) as response:
        response.Data.CopyFrom(task_message(selectors.queue_task(task_id=request.ID)))
    return response


def query_task_by_hash_code(request: pb.QueryTaskByHashCodeRequest) -> pb.QueryTaskByHashCodeResponse:
    with answering(pb.QueryTaskByHashCodeResponse()) as response:
        response.Data.CopyFrom(task_message(selectors.queue_task_by_hash_code(hash_code=request.HashCode)))
    return response


def query_task_by_owner(request: pb.QueryTaskByOwnerRequest) -> pb.QueryTaskByOwnerResponse:
    with answering(pb.QueryTaskByOwnerResponse()) as response:
        if not request.Owner:  # proto3 cannot tell 0 from unset: like every method's key field, it is required
            raise InvalidInput("is required", field="Owner")
        if request.Limit > MAX_LIMIT:
            raise InvalidInput(f"must be at most {MAX_LIMIT}", field="Limit")
        tasks = selectors.queue_tasks_of_owner(owner=request.Owner)
        total, page = paged(tasks, offset=request.Offset, limit=request.Limit or DEFAULT_LIMIT)
        response.Total = total
        response.Data.extend(task_message(task) for task in page)
    return response


def cancel_task_by_id(request: pb.CancelTaskByIDRequest) -> pb.CancelTaskByIDResponse:
    with answering(pb.CancelTaskByIDResponse()) as response:
        response.Data.extend(task_message(task) for task in services.cancel_queue_task(task_id=request.ID))
    return response


def query_length_by_channel(request: pb.QueryLengthByChannelRequest) -> pb.QueryLengthByChannelResponse:
    with answering(pb.QueryLengthByChannelResponse()) as response:
        response.Data = selectors.queue_length(channel=request.Channel)
    return response


def report_task_result(request: pb.ReportTaskResultRequest) -> pb.ReportTaskResultResponse:
    with answering(pb.ReportTaskResultResponse()) as response:
        response.Data = services.report_queue_task(task_id=request.ID, state=request.State, output=request.Output).pk
    return response


@dataclass(frozen=True)
class Method:
    request_type: type[Message]
    response_type: type[Message]
    handler: Callable[[Any], Message]


# The methods answered one request at a time (on gRPC; the REST mirror adds one report).
UNARY: dict[str, Method] = {
    "CreateTask": Method(pb.CreateTaskRequest, pb.CreateTaskResponse, create_task),
    "QueryTaskByID": Method(pb.QueryTaskByIDRequest, pb.QueryTaskByIDResponse, query_task_by_id),
    "CancelTaskByID": Method(pb.CancelTaskByIDRequest, pb.CancelTaskByIDResponse, cancel_task_by_id),
    "QueryTaskByOwner": Method(pb.QueryTaskByOwnerRequest, pb.QueryTaskByOwnerResponse, query_task_by_owner),
    "QueryTaskByHashCode": Method(pb.QueryTaskByHashCodeRequest, pb.QueryTaskByHashCodeResponse, query_task_by_hash_code),
    "QueryLengthByChannel": Method(pb.QueryLengthByChannelRequest, pb.QueryLengthByChannelResponse, query_length_by_channel),
}
REPORT = Method(pb.ReportTaskResultRequest, pb.ReportTaskResultResponse, report_task_result)
