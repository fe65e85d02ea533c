"""Errors of the REST mirror, written as the method's own response message.

A response message with ``State`` and ``Message`` carries the error in them (``State`` is also
the HTTP status), its other fields at their defaults. ``ReceiveQueueByChannelResponse`` has
neither: its error is the empty message ``{}`` with the HTTP status, and the reason travels in
the ``Grpc-Status`` and ``Grpc-Message`` headers, as the gRPC stream would end. An unknown method
has no message: ``{"State", "Message"}``, which every response message but that one parses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from google.protobuf.message import Message
from rest_framework.response import Response

from api_app.errors import ErrorInfo, Renderer, handler_rendering
from api_app.grpc.handlers import state_for
from api_app.queues.mapping import as_json

# The gRPC status a refusal of this HTTP status would be (for the responses without a State).
GRPC_STATUS = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    405: grpc.StatusCode.UNIMPLEMENTED,
    415: grpc.StatusCode.INVALID_ARGUMENT,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,
}


def render(error: ErrorInfo) -> Response:
    state = state_for(error.status)
    return Response({"State": state, "Message": error.message}, status=state)


def grpc_message(text: str) -> str:
    """gRPC's percent-encoding of grpc-message: UTF-8 bytes outside printable ASCII, and '%'."""
    return "".join(chr(byte) if 0x20 <= byte <= 0x7E and byte != 0x25 else f"%{byte:02X}" for byte in text.encode())


def _has_state(message_type: type[Message]) -> bool:
    return "State" in message_type.DESCRIPTOR.fields_by_name


def _without_state(error: ErrorInfo, message_type: type[Message]) -> Response:
    status = state_for(error.status)
    response = Response(as_json(message_type()), status=status)
    response["Grpc-Status"] = str(GRPC_STATUS.get(status, grpc.StatusCode.INTERNAL).value[0])
    response["Grpc-Message"] = grpc_message(error.message)
    return response


def rendering_as(message_type: type[Message]) -> Renderer:
    """A renderer writing each error as a ``message_type``."""

    def render_message(error: ErrorInfo) -> Response:
        if not _has_state(message_type):
            return _without_state(error, message_type)
        state = state_for(error.status)
        return Response(as_json(message_type(State=state, Message=error.message)), status=state)

    return render_message


def exception_handler_for(message_type: type[Message] | None) -> Callable[[Exception, dict[str, Any]], Response]:
    return handler_rendering(rendering_as(message_type) if message_type else render)
