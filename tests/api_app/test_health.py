from __future__ import annotations

import pytest
from django.test import Client

from tasks_app import redis as platform_redis

pytestmark = pytest.mark.django_db


def test_unhealthy_without_worker_and_beat(redis_client) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok" and body["redis"] == "ok"
    assert "no worker heartbeat" in body["worker"] and "no beat heartbeat" in body["beat"]


def test_healthy_when_all_parts_report(redis_client) -> None:
    platform_redis.beat_heartbeat("worker")
    platform_redis.beat_heartbeat("beat")
    response = Client().get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok", "worker": "ok", "beat": "ok"}


def test_redis_down_is_reported(settings) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    platform_redis.client.cache_clear()
    try:
        response = Client().get("/healthz")
    finally:
        platform_redis.client.cache_clear()
    assert response.status_code == 503 and response.json()["redis"] != "ok"
