"""Turning any error into one neutral description that each dialect renders in its envelope.

The domain's codes (tasks_app.exceptions) and DRF's own exceptions both become an ``ErrorInfo``;
a dialect's ``errors.py`` picks the status and writes the body. Unexpected exceptions become a
500 in the dialect's envelope (and are logged), never Django's HTML page."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response

from tasks_app.exceptions import Conflict, Forbidden, InvalidInput, JobError, NotFound
from tasks_app.outages import DATABASE_ERRORS, REDIS_ERRORS

logger = logging.getLogger(__name__)
# What a client is told to wait before trying again while a part is down.
RETRY_AFTER_SECONDS = 5
UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class ErrorInfo:
    status: int
    code: str
    message: str
    field: str | None = None


def _first_validation_error(detail: Any, path: str = "") -> tuple[str | None, str]:
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = key if key != "non_field_errors" else ""
            return _first_validation_error(value, f"{path}.{name}".strip(".") if name else path)
    if isinstance(detail, list) and detail:
        return _first_validation_error(detail[0], path)
    return (path or None), str(detail)


def describe(exc: Exception) -> ErrorInfo:
    if isinstance(exc, JobError):
        status = 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, Conflict) else 403 if isinstance(exc, Forbidden) else 400
        return ErrorInfo(status, exc.code, str(exc), exc.field)
    if isinstance(exc, RequestDataTooBig):  # Django's own limit, met reading a form
        return ErrorInfo(
            413, "too_large", f"the request body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE ({settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes)"
        )
    if isinstance(exc, SuspiciousOperation):  # too many form fields, a malformed multipart body
        return ErrorInfo(400, InvalidInput.code, str(exc))
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        return ErrorInfo(404, NotFound.code, "not found")
    if isinstance(exc, drf.ValidationError):
        field, message = _first_validation_error(exc.detail)
        return ErrorInfo(400, InvalidInput.code, f"{field}: {message}" if field else message, field)
    if isinstance(exc, drf.APIException):
        return ErrorInfo(exc.status_code, str(exc.default_code), str(exc.detail))
    if isinstance(exc, DATABASE_ERRORS + REDIS_ERRORS):  # an outage: the client may try again
        part = "the database" if isinstance(exc, DATABASE_ERRORS) else "Redis"
        logger.warning("answered 503: %s is unavailable (%s: %s)", part, type(exc).__name__, exc)
        return ErrorInfo(503, UNAVAILABLE, f"{part} is unavailable or busy; try again in {RETRY_AFTER_SECONDS} s")
    logger.exception("unexpected error", exc_info=exc)
    return ErrorInfo(500, "internal", "internal error")


Renderer = Callable[[ErrorInfo], Response]


def handler_rendering(render: Renderer) -> Callable[[Exception, dict[str, Any]], Response]:
    """An exception handler (DRF's hook) that writes every error with ``render``."""

    def handle(exc: Exception, context: dict[str, Any]) -> Response:
        response = render(describe(exc))
        if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
            response["WWW-Authenticate"] = "Token"
        wait = getattr(exc, "wait", None) if isinstance(exc, drf.Throttled) else None
        if wait is not None:
            response["Retry-After"] = str(max(1, math.ceil(wait)))
        if response.status_code == 503:
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    return handle


def render_standard(error: ErrorInfo) -> Response:
    body = {"detail": error.message, "code": error.code}
    if error.field:
        body["field"] = error.field
    return Response(body, status=error.status)


exception_handler = handler_rendering(render_standard)
