"""The hangfire envelope for errors: ``{"returnCode": <status>, "returnMessage": …, "data": …}``
with a 4xx status (5xx only for our own faults). ``returnCode`` is the HTTP status: never 0, and
it reads the same in a log as on the wire (see docs/decisions/0103)."""

from __future__ import annotations

from rest_framework.response import Response

from api_app.errors import ErrorInfo, handler_rendering

# The domain names fields in its own words; the dialect's clients know the wire's.
WIRE_FIELDS = {
    "service_id": "serviceId",
    "message_id": "messageId",
    "data": "data",
    "request_id": "xRequestId",
    "name": "xRequestId",
    "client_ip": "clientIp",
    "seconds": "delay",
}


def _wire_message(error: ErrorInfo) -> tuple[str | None, str]:
    wire = WIRE_FIELDS.get(error.field or "")
    if wire is None or not error.message.startswith(f"{error.field}: "):
        return error.field, error.message
    return wire, f"{wire}: {error.message[len(error.field or '') + 2 :]}"


def render(error: ErrorInfo) -> Response:
    field, message = _wire_message(error)
    return Response(
        {"returnCode": error.status, "returnMessage": message, "data": {"code": error.code, "field": field}},
        status=error.status,
    )


exception_handler = handler_rendering(render)
