"""The queues envelope for errors: {"State", "Message", "Data": null}, with State as HTTP status."""

from __future__ import annotations

from rest_framework.response import Response

from api_app.errors import ErrorInfo, handler_rendering
from api_app.grpc.handlers import state_for


def render(error: ErrorInfo) -> Response:
    state = state_for(error.status)
    return Response({"State": state, "Message": error.message, "Data": None}, status=state)


exception_handler = handler_rendering(render)
