"""The servers page (/admin/servers/): every worker process and beat that sent a heartbeat
within HEARTBEAT_TTL_SECONDS, from their per-process heartbeats. A plain admin view and
template, so more columns (queue depths, say) are a row of context and a <td> away."""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from tasks_app import heartbeats
from tasks_app.metrics import depths
from tasks_app.outages import REDIS_ERRORS


def _moment(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def servers_view(request: HttpRequest) -> HttpResponse:
    try:
        processes = [beat for kind in heartbeats.KINDS for beat in heartbeats.alive(kind)]
        error = ""
    except REDIS_ERRORS as failure:
        processes, error = [], f"Redis is unavailable: {failure}"
    rows = [(beat, _moment(beat.started_at), _moment(beat.last_beat)) for beat in processes]
    context = admin.site.each_context(request) | {
        "title": "Servers",
        "rows": rows,
        "error": error,
        "ttl": settings.HEARTBEAT_TTL_SECONDS,
        "counts": {kind: sum(beat.kind == kind for beat in processes) for kind in heartbeats.KINDS},
        **depths.template_context(),
    }
    return TemplateResponse(request, "admin/console/servers.html", context)
