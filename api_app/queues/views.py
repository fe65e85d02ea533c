"""POST /api/queues/{Method}: the request message in the proto's JSON mapping in, the method's
response message in the same mapping out, errors included (api_app/queues/errors.py), with
``State`` as the HTTP status. ReceiveQueueByChannel is a long poll answering
``ReceiveQueueByChannelResponse`` (``{"Tasks": {…}}``, or ``{}`` when none came); ReportTaskResult
takes one report. Views parse, call one handler (or service), and render."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from google.protobuf.message import Message
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api_app.grpc import handlers
from api_app.grpc.generated import standard_pb2 as pb
from api_app.inputs import BoundedJSONParser
from api_app.queues import schema
from api_app.queues.errors import exception_handler_for
from api_app.queues.mapping import as_json, json_object, parse
from tasks_app import services
from tasks_app.exceptions import InvalidInput

METHODS = {**handlers.UNARY, "ReportTaskResult": handlers.REPORT}


def answered(response: Message) -> Response:
    return Response(as_json(response), status=response.State)  # type: ignore[attr-defined]


class QueuesView(APIView):
    parser_classes = [BoundedJSONParser]  # the proto's JSON mapping, nothing else

    def response_type(self) -> type[Message] | None:
        raise NotImplementedError

    def get_exception_handler(self) -> Any:
        return exception_handler_for(self.response_type())


class MethodView(QueuesView):
    """One method; ``method_view`` makes the class of each (so each is documented with its messages)."""

    method: handlers.Method

    def response_type(self) -> type[Message]:
        return self.method.response_type

    def post(self, request: Request) -> Response:
        return answered(self.method.handler(parse(request.data, self.method.request_type)))


def method_view(name: str) -> type[MethodView]:
    method = METHODS[name]
    view = type(f"{name}View", (MethodView,), {"method": method})
    return schema.documented(f"standard.Queues/{name}", schema.ref(method.request_type), method.response_type)(view)


def _wait_seconds(value: Any) -> float:
    limit = settings.QUEUE_MAX_WAIT_SECONDS
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= limit:
        raise InvalidInput(f"must be a number of seconds from 0 to {limit}", field="WaitSeconds")
    return float(value)


class ReceiveView(QueuesView):
    def response_type(self) -> type[Message]:
        return pb.ReceiveQueueByChannelResponse

    @schema.documented("standard.Queues/ReceiveQueueByChannel (a long poll)", schema.receive_request(), pb.ReceiveQueueByChannelResponse)
    def post(self, request: Request) -> Response:
        data = json_object(request.data)
        wait = _wait_seconds(data.pop("WaitSeconds", 0))
        channel = parse(data, pb.ReceiveQueueByChannelRequest).Channel  # type: ignore[attr-defined]
        task = services.receive_queue_task(channel=channel, wait_seconds=wait, holder=f"REST {request.META.get('REMOTE_ADDR', '')}")
        response = pb.ReceiveQueueByChannelResponse()
        if task is not None:
            response.Tasks.CopyFrom(handlers.task_message(task))  # type: ignore[attr-defined]
        return Response(as_json(response))
