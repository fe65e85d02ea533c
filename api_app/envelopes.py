"""Which dialect a path belongs to, and so which envelope its errors are written in.

Every path under a dialect's prefix answers in that dialect's JSON, even when no view takes it:
``unrouted`` (the last URL pattern) answers a path no endpoint has, with 404. Code that answers
outside a view (a middleware refusing a body, say) calls ``error_response`` for the same table."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse, JsonResponse
from django.urls import URLPattern, re_path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api_app import errors
from api_app.crontab.errors import render as crontab
from api_app.dispatch.errors import render as dispatch
from api_app.errors import ErrorInfo, Renderer
from api_app.hangfire.errors import render as hangfire
from api_app.queues.errors import render as queues
from api_app.xtimer.errors import render_unrouted as xtimer
from tasks_app.exceptions import NotFound


@dataclass(frozen=True)
class Dialect:
    tag: str  # its name in the OpenAPI document
    prefix: str  # every path under it is the dialect's (no leading slash)
    render: Renderer


DIALECTS = (
    Dialect("v1", "api/v1/", errors.render_standard),
    Dialect("hangfire", "api/hangfire/", hangfire),
    Dialect("xtimer", "xtimer/", xtimer),
    Dialect("crontab", "crontab/", crontab),
    Dialect("dispatch", "dispatchserver/", dispatch),
    Dialect("dispatch", "taskcallback/", dispatch),
    Dialect("queues", "api/queues/", queues),
)


def dialect_of(path: str) -> Dialect | None:
    """The dialect whose prefix ``path`` (with or without its leading slash) is under."""
    path = path.lstrip("/")
    return next((dialect for dialect in DIALECTS if path.startswith(dialect.prefix) or path == dialect.prefix.rstrip("/")), None)


def renderer_for(path: str) -> Renderer:
    """The renderer of the dialect ``path`` belongs to; the platform's standard one elsewhere."""
    dialect = dialect_of(path)
    return dialect.render if dialect else errors.render_standard


def error_response(path: str, error: ErrorInfo) -> HttpResponse:
    """``error`` in the envelope of ``path``'s dialect, as a plain Django response."""
    rendered = renderer_for(path)(error)
    response = JsonResponse(rendered.data, status=rendered.status_code, safe=False)
    for header, value in rendered.items():
        if header.lower() != "content-type":  # a DRF response gets its type when rendered
            response[header] = value
    return response


class UnroutedView(APIView):
    """A path under a dialect's prefix that no endpoint has: 404 in the dialect's envelope, for
    any method and without a token (nothing is there to protect)."""

    authentication_classes = ()
    permission_classes = ()
    schema = None  # not an endpoint: left out of the OpenAPI document

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response]:
        return errors.handler_rendering(renderer_for(self.request.path))

    def unrouted(self, request: Request, *args: object, **kwargs: object) -> Response:
        raise NotFound(f"no endpoint {request.method} {request.path}")

    get = post = put = patch = delete = head = options = unrouted


def unrouted_patterns() -> list[URLPattern]:
    """The catch-all under each prefix; it must come after every endpoint."""
    prefixes = "|".join(sorted({re.escape(dialect.prefix.rstrip("/")) for dialect in DIALECTS}))
    return [re_path(rf"^(?:{prefixes})(?:/.*)?$", UnroutedView.as_view(), name="unrouted")]
