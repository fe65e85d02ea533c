"""Middleware that tells the audit trail which door a request came through (by its path) and who
sent it (read from the request when a change is recorded, so DRF's token authentication, which
runs inside the view, has set the user and token by then)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from tasks_app.services import audit

# Path prefixes of the doors, longest first where one contains another.
VIA_BY_PREFIX = (
    ("/api/v1/", "v1"),
    ("/api/hangfire/", "hangfire"),
    ("/api/queues/", "queues"),
    ("/xtimer/", "xtimer"),
    ("/crontab/", "crontab"),
    ("/dispatchserver/", "dispatch"),
    ("/taskcallback/", "dispatch"),
    ("/admin/", "admin"),
)


def via_of(path: str) -> str:
    return next((via for prefix, via in VIA_BY_PREFIX if path.startswith(prefix)), "web")


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = audit.bind_request(request, via=via_of(request.path))
        try:
            return self.get_response(request)
        finally:
            audit.unbind(token)
