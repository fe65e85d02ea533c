"""The crontab envelope ``{"state", "msg", "data"}`` and the original's error codes.

``state`` 0: the request was processed (each task's own failure is in its ``err``). A non-zero
``state`` is a request-level failure: 1 invalid parameter (HTTP 400, or the auth/method status),
5 none of the tasks exist (query_task_status, HTTP 400), -1 system error (HTTP 500). A task's
``err`` starts with the kind of its failure and its code (1-5), then names the field.
"""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response

from api_app.errors import ErrorInfo, describe, handler_rendering
from tasks_app.exceptions import NotFound

OK, INVALID_PARAMETER, BAD_TYPE, BAD_START_TIME, BAD_CALLBACK, NO_SUCH_TASK, SYSTEM_ERROR = 0, 1, 2, 3, 4, 5, -1
KINDS = {
    INVALID_PARAMETER: "invalid parameter",
    BAD_TYPE: "bad type",
    BAD_START_TIME: "bad start_time",
    BAD_CALLBACK: "bad callback",
    NO_SUCH_TASK: "neither task_id nor name is valid",
    SYSTEM_ERROR: "system error",
}
CODE_OF_FIELD = {
    "type": BAD_TYPE,
    "start_time": BAD_START_TIME,
    "url": BAD_CALLBACK,
    "method": BAD_CALLBACK,
    "body": BAD_CALLBACK,
    "body_type": BAD_CALLBACK,
    "resp_regexp": BAD_CALLBACK,
}


def envelope(state: int, msg: str, data: dict[str, Any] | None = None, *, status: int = 200) -> Response:
    return Response({"state": state, "msg": msg, "data": data or {}}, status=status)


def render(error: ErrorInfo) -> Response:
    """A request-level failure in the envelope, with the HTTP status of the error."""
    state = SYSTEM_ERROR if error.status >= 500 else INVALID_PARAMETER
    return envelope(state, error.message, status=error.status)


exception_handler = handler_rendering(render)


def task_error(error: Exception) -> str:
    """A task's ``err``: "<kind> (<code>): <field>: <message>"."""
    info = describe(error)
    if info.status >= 500:
        code = SYSTEM_ERROR
    elif isinstance(error, NotFound):
        code = NO_SUCH_TASK
    else:
        code = CODE_OF_FIELD.get(info.field or "", INVALID_PARAMETER)
    return f"{KINDS[code]} ({code}): {info.message}"
