"""GET /healthz: database, Redis, a live worker and a live beat; 200 only when all are ok."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse

from tasks_app import redis as platform_redis


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _redis() -> str:
    platform_redis.client().ping()
    return "ok"


def _heartbeat(name: str) -> str:
    last = platform_redis.last_heartbeat(name)
    if last is None:
        return f"no {name} heartbeat in the last {settings.HEARTBEAT_TTL_SECONDS}s"
    age = time.time() - last
    return "ok" if age <= settings.HEARTBEAT_TTL_SECONDS else f"last {name} heartbeat {age:.0f}s ago"


CHECKS = {"database": _database, "redis": _redis, "worker": lambda: _heartbeat("worker"), "beat": lambda: _heartbeat("beat")}


def healthz(request: HttpRequest) -> JsonResponse:
    report = {}
    for name, check in CHECKS.items():
        try:
            report[name] = check()
        except Exception as error:  # any failure of a part is that part's report
            report[name] = f"{type(error).__name__}: {error}"
    healthy = all(value == "ok" for value in report.values())
    return JsonResponse(report, status=200 if healthy else 503)
