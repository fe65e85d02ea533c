"""GET /healthz: database, Redis, a live worker and a live beat; 200 only when all are ok.

Workers and beats are counted from their per-process heartbeats (tasks_app.heartbeats): a part
is ``ok`` while at least one process of it is alive, and ``alive`` says how many are."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse

from tasks_app import heartbeats
from tasks_app import redis as platform_redis


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _redis() -> str:
    platform_redis.client().ping()
    return "ok"


def _processes(kind: str, alive: dict[str, int]) -> str:
    alive[kind] = len(heartbeats.alive(kind))
    return "ok" if alive[kind] else f"no {kind} heartbeat in the last {settings.HEARTBEAT_TTL_SECONDS}s"


def healthz(request: HttpRequest) -> JsonResponse:
    alive: dict[str, int] = {}
    checks: dict[str, Callable[[], str]] = {"database": _database, "redis": _redis}
    for kind in heartbeats.KINDS:
        checks[kind] = partial(_processes, kind, alive)
    report: dict[str, Any] = {}
    for name, check in checks.items():
        try:
            report[name] = check()
        except Exception as error:  # any failure of a part is that part's report
            report[name] = f"{type(error).__name__}: {error}"
    healthy = all(value == "ok" for value in report.values())
    return JsonResponse(report | {"alive": alive}, status=200 if healthy else 503)
