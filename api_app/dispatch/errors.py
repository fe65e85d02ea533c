"""The dispatch envelope, ``{"success", "error", "resultValue"}``, for answers and errors alike.

Statuses: 400 invalid input (malformed JSON included), 404 an unknown task or task log, 409 an
existing task added without ``replace``, 401/403 without a valid token, 405 a method other than
POST, 415 a body that is neither JSON nor a form. ``error`` names the field in the dialect's words.
"""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response

from api_app.errors import ErrorInfo, handler_rendering

# The domain's field names (errors raised past the serializers) in the dialect's words.
FIELD_NAMES = {
    "namespace": "taskConfig.groupCode",
    "name": "taskConfig.jobCode",
    "priority": "taskConfig.priority",
    "cron": "taskConfig.cronExpress",
    "syntax": "taskConfig.cronExpress",
    "at": "taskConfig.startDate",
    "start_at": "taskConfig.startDate",
    "end_at": "taskConfig.endDate",
    "every_seconds": "taskConfig.timeConfig.interval",
    "repeat_count": "taskConfig.timeConfig.repeatCount",
    "url": "recallConfig.option.url",
    "host": "recallConfig.option.host",
    "port": "recallConfig.option.port",
    "data": "recallConfig.data",
    "payload": "recallConfig.data",
}


def envelope(*, success: bool, error: str | None = None, result: Any = None) -> dict[str, Any]:
    return {"success": success, "error": error, "resultValue": result}


def _message(error: ErrorInfo) -> str:
    prefix = f"{error.field}: "
    name = FIELD_NAMES.get(error.field or "")
    if name and error.message.startswith(prefix):
        return f"{name}: {error.message.removeprefix(prefix)}"
    return error.message


def render(error: ErrorInfo) -> Response:
    return Response(envelope(success=False, error=_message(error)), status=error.status)


exception_handler = handler_rendering(render)
