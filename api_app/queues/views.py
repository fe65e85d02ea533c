"""POST /api/queues/{Method}: the request message in the proto's JSON mapping in, the response
message in the same mapping out ({"State", "Message", "Data"}, and "Total" for QueryTaskByOwner),
with State as the HTTP status. ReceiveQueueByChannel is a long poll; ReportTaskResult takes one
report. Views parse, call one handler (or service), and render."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from google.protobuf import json_format
from google.protobuf.message import Message
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api_app.grpc import handlers
from api_app.grpc.generated import standard_pb2 as pb
from api_app.queues.errors import exception_handler
from tasks_app import services
from tasks_app.exceptions import InvalidInput, NotFound

METHODS = {**handlers.UNARY, "ReportTaskResult": handlers.REPORT}


def _object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object")
    return dict(data)


def parse(data: Any, message_type: type[Message]) -> Message:
    try:
        return json_format.ParseDict(_object(data), message_type())
    except json_format.ParseError as error:
        raise InvalidInput(str(error)) from None


def as_json(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(message, always_print_fields_with_no_presence=True, unquote_int64_if_possible=True)


def envelope(response: Message) -> Response:
    body = as_json(response)
    state = body["State"]
    if state != handlers.OK:
        body["Data"] = None
    return Response(body, status=state)


class QueuesView(APIView):
    def get_exception_handler(self) -> Any:
        return exception_handler


class MethodView(QueuesView):
    @extend_schema(
        summary="A standard.Queues method over REST",
        parameters=[OpenApiParameter("method", str, OpenApiParameter.PATH, enum=sorted(METHODS))],
        request=OpenApiTypes.OBJECT,
        responses=OpenApiTypes.OBJECT,
    )
    def post(self, request: Request, method: str) -> Response:
        entry = METHODS.get(method)
        if entry is None:
            raise NotFound(f"no method {method}; one of {', '.join(sorted(METHODS))} or ReceiveQueueByChannel")
        return envelope(entry.handler(parse(request.data, entry.request_type)))


def _wait_seconds(value: Any) -> float:
    limit = settings.QUEUE_MAX_WAIT_SECONDS
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= limit:
        raise InvalidInput(f"must be a number of seconds from 0 to {limit}", field="WaitSeconds")
    return float(value)


class ReceiveView(QueuesView):
    @extend_schema(
        summary="Take one task of a channel (a long poll of up to WaitSeconds)",
        request=OpenApiTypes.OBJECT,
        responses=OpenApiTypes.OBJECT,
    )
    def post(self, request: Request) -> Response:
        data = _object(request.data)
        wait = _wait_seconds(data.pop("WaitSeconds", 0))
        channel = parse(data, pb.ReceiveQueueByChannelRequest).Channel  # type: ignore[attr-defined]
        task = services.receive_queue_task(channel=channel, wait_seconds=wait, holder=f"REST {request.META.get('REMOTE_ADDR', '')}")
        tasks = as_json(handlers.task_message(task)) if task is not None else {}
        return Response({"State": handlers.OK, "Message": "OK" if task else "no task came", "Data": {"Tasks": tasks}})
