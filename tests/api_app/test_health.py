"""/healthz and the per-process heartbeats it counts (heartbeats written by the real code,
processes real where a death is the point)."""

from __future__ import annotations

import pytest
from django.test import Client

from tasks_app import heartbeats
from tasks_app import redis as platform_redis
from tests.conftest import Processes, wait_for

pytestmark = pytest.mark.django_db


def test_unhealthy_without_worker_and_beat(redis_client) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok" and body["redis"] == "ok"
    assert "no worker heartbeat" in body["worker"] and "no beat heartbeat" in body["beat"]
    assert body["alive"] == {"worker": 0, "beat": 0}


def test_healthy_when_all_parts_report_and_counts_each_process(redis_client) -> None:
    heartbeats.beat(heartbeats.Process("worker", pool="threads", concurrency=8))
    heartbeats.beat(heartbeats.Process("beat"))
    response = Client().get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok", "worker": "ok", "beat": "ok", "alive": {"worker": 1, "beat": 1}}
    [worker] = heartbeats.alive("worker")
    assert (worker.pool, worker.concurrency, worker.age_seconds < 5) == ("threads", 8, True)


def test_redis_down_is_reported(settings) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    platform_redis.client.cache_clear()
    try:
        response = Client().get("/healthz")
    finally:
        platform_redis.client.cache_clear()
    assert response.status_code == 503 and response.json()["redis"] != "ok"


@pytest.mark.e2e
def test_a_dead_worker_shows_within_15_seconds_and_the_servers_page_lists_the_live_ones(processes: Processes, settings) -> None:
    from django.contrib.auth import get_user_model

    for name in ("worker-a", "worker-b"):
        processes.worker(name, pool="threads", concurrency=2)
    processes.beat()
    wait_for(lambda: len(heartbeats.alive("worker")) == 2 and heartbeats.alive("beat"), timeout=60, message="two workers and a beat")
    assert Client().get("/healthz").json()["alive"] == {"worker": 2, "beat": 1}
    dead_pid = processes.running["worker-a"].pid
    processes.kill("worker-a")
    wait_for(lambda: len(heartbeats.alive("worker")) == 1, timeout=15, message="the dead worker to drop out")
    health = Client().get("/healthz")
    assert health.status_code == 200 and health.json()["worker"] == "ok" and health.json()["alive"]["worker"] == 1
    operator = Client()
    operator.force_login(get_user_model().objects.create_superuser("op", password="pw-for-tests"))
    page = operator.get("/admin/servers/").content.decode()
    assert f"<td>{processes.running['worker-b'].pid}</td>" in page and f"<td>{dead_pid}</td>" not in page
    assert "<td>threads</td>" in page and "<td>beat</td>" in page
