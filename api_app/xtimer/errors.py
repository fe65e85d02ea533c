"""xtimer's envelope: ``{"code", "message", "data"}``, 0 for success and codes in the 9020s for
failures (each with a 4xx status; a 5xx only for a bug). The domain's field names are rewritten
into the wire's (``url`` -> ``notifyHTTPParam.url``) so a message names what the client sent."""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from functools import cache
from typing import Any

from rest_framework.response import Response

from api_app.errors import ErrorInfo, Renderer, handler_rendering


class Code(IntEnum):
    OK = 0
    INPUT_INVALID = 9020  # the request cannot be read: malformed JSON, wrong content type or method
    BAD_PARAM = 9021  # a field is missing or has a bad value
    CREATE_FAILED = 9022  # the timer was not created: (app, name) is taken
    ENABLE_FAILED = 9023  # enable/unable of a timer that is not in the app
    NOT_FOUND = 9024  # get, delete or list tasks of a timer that is not in the app
    UNAUTHORIZED = 9025  # no or a wrong API token
    INTERNAL = 9029  # a bug: logged, answered 500


_UNREADABLE = {"parse_error", "unsupported_media_type", "method_not_allowed", "not_acceptable"}
_UNAUTHORIZED = {"not_authenticated", "authentication_failed", "permission_denied", "forbidden", "quota_exceeded"}
# Domain field -> the field the client sent.
WIRE_FIELDS = {
    "url": "notifyHTTPParam.url",
    "method": "notifyHTTPParam.method",
    "headers": "notifyHTTPParam.header",
    "body": "notifyHTTPParam.body",
    "time_zone": "timeZone",
    "timeout_seconds": "timeoutMs",
    "delays_seconds": "retry",
    "namespace": "app",
}


def code_for(error: ErrorInfo, failure: Code) -> Code:
    """``failure`` is what the endpoint answers when its timer is missing or taken."""
    if error.status >= 500:
        return Code.INTERNAL
    if error.code in _UNAUTHORIZED:
        return Code.UNAUTHORIZED
    if error.code.startswith("invalid"):
        return Code.BAD_PARAM
    if error.code in ("not_found", "conflict"):
        return failure
    return Code.INPUT_INVALID if error.code in _UNREADABLE else Code.BAD_PARAM


def wire_message(error: ErrorInfo) -> str:
    if not error.field or error.field not in WIRE_FIELDS:
        return error.message
    return f"{WIRE_FIELDS[error.field]}: {error.message.removeprefix(f'{error.field}: ')}"


def envelope(code: Code = Code.OK, message: str = "ok", data: Any = None, *, status: int = 200) -> Response:
    body: dict[str, Any] = {"code": int(code), "message": message}
    if data is not None:
        body["data"] = data
    return Response(body, status=status)


def rendering(failure: Code) -> Renderer:
    """Errors of endpoints whose failure code is ``failure``."""

    def render(error: ErrorInfo) -> Response:
        return envelope(code_for(error, failure), wire_message(error), status=error.status)

    return render


# A path that is no endpoint: the request cannot be read, like a wrong method.
render_unrouted = rendering(Code.INPUT_INVALID)


@cache
def exception_handler(failure: Code) -> Callable[[Exception, dict[str, Any]], Response]:
    """The DRF exception handler of endpoints whose failure code is ``failure``."""
    return handler_rendering(rendering(failure))
