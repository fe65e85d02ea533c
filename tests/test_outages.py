"""Outages with real processes (a worker and a beat), one fault per test: Redis restarted empty
(a Redis server of the test's own), every database backend terminated, the database refusing
connections for a few seconds (PostgreSQL, on the test's own database). Each asserts that no
process exited and that every one-off due before, during or after the fault arrived at a real
HTTP receiver exactly once."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token
from werkzeug import Request, Response

from tasks_app import broker_marker, clock, heartbeats, services
from tasks_app import redis as platform_redis
from tasks_app.models import Execution, ExecutionStatus, Job
from tests.conftest import Processes, database_url_for_processes, wait_for
from tests.faults import RedisServer, connections_refused, terminate_backends

pytestmark = pytest.mark.e2e
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL faults")


class Calls:
    """Every callback the receiver got: its path and when (monotonic)."""

    def __init__(self, receiver: Any) -> None:
        self.arrivals: list[tuple[str, float]] = []
        self._lock = threading.Lock()
        receiver.expect_request(re.compile(r"/cb/.*")).respond_with_handler(self._record)
        self.url = receiver.url_for("/cb/")

    def _record(self, request: Request) -> Response:
        with self._lock:
            self.arrivals.append((request.path.removeprefix("/cb/"), time.monotonic()))
        return Response("ok")

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(name for name, _ in self.arrivals)

    def first_after(self, moment: float) -> float:
        with self._lock:
            return min(at for _, at in self.arrivals if at >= moment) - moment


def one_offs(calls: Calls, prefix: str, *, due_in: list[float]) -> list[str]:
    names = [f"{prefix}-{n}" for n in range(len(due_in))]
    now = clock.now()
    for name, seconds in zip(names, due_in, strict=True):
        trigger = {"kind": "at", "at": (now + timedelta(seconds=seconds)).isoformat()}
        services.create_job(namespace="outage", name=name, trigger=trigger, callback={"kind": "http", "url": calls.url + name})
    return names


def arrived_exactly_once(calls: Calls, names: list[str], *, timeout: float) -> None:
    wait_for(lambda: set(names) <= set(calls.counts()), timeout=timeout, message=f"{len(names)} one-offs to arrive")
    time.sleep(1.5)  # a duplicate would come now
    counts = calls.counts()
    assert {name: counts[name] for name in names if counts[name] != 1} == {}


def start_platform(processes: Processes) -> None:
    processes.worker(pool="threads", concurrency=4)
    processes.beat()
    wait_for(lambda: heartbeats.alive("worker") and heartbeats.alive("beat"), timeout=60, message="a worker and a beat")


@pytest.fixture
def own_redis(processes: Processes, settings: Any, tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis server of this test's own, used by the processes and by this process alike."""
    server = RedisServer(tmp_path)
    server.start()
    processes.extra_env = {"REDIS_URL": server.url, "CELERY_BROKER_URL": server.url}
    settings.REDIS_URL = settings.CELERY_BROKER_URL = server.url
    platform_redis.client.cache_clear()
    broker_marker._broker_client.cache_clear()
    try:
        yield server
    finally:
        processes.stop_all()
        server.kill()
        platform_redis.client.cache_clear()
        broker_marker._broker_client.cache_clear()


def staff_token(username: str) -> str:
    """A token that may act in every namespace."""
    return str(Token.objects.create(user=get_user_model().objects.create_user(username, is_staff=True)).key)


def _messages_waiting(server: RedisServer) -> int:
    client = redis.Redis.from_url(server.url)
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    return sum(client.llen(key) for key in client.scan_iter(f"{queue}*") if client.type(key) == b"list")


def _created_through_the_api(calls: Calls, name: str, *, due_in: float) -> str:
    """A one-off made through v1 (the database is the truth: Redis need not answer)."""
    client = Client(HTTP_AUTHORIZATION=f"Token {staff_token(name)}")
    at = (clock.now() + timedelta(seconds=due_in)).isoformat()
    job = {"namespace": "outage", "name": name, "trigger": {"kind": "at", "at": at}, "callback": {"kind": "http", "url": calls.url + name}}
    response = client.post("/api/v1/jobs", job, content_type="application/json")
    assert response.status_code == 201, response.content
    return name


def test_redis_restarted_empty_loses_nothing(processes: Processes, own_redis: RedisServer, receiver: Any) -> None:
    calls = Calls(receiver)
    start_platform(processes)
    worker = processes.running["worker"]
    # The worker freezes (a paused VM), so what beat sends waits in Redis, and Redis loses it.
    # Due after the frozen worker's last BRPOP has timed out (1 s): else Redis would hand the
    # message to that BRPOP, into the worker's socket, where the restart cannot reach it.
    os.kill(worker.pid, signal.SIGSTOP)
    sent = one_offs(calls, "sent", due_in=[2.5] * 6)
    try:
        wait_for(lambda: Execution.objects.filter(dispatched_at__isnull=False).count() == len(sent), timeout=15, message="the sends")
        assert _messages_waiting(own_redis), "the sends should be waiting in Redis"
        own_redis.kill()
        during = one_offs(calls, "during", due_in=[0.5, 1.0, 1.5, 2.0])
        during.append(_created_through_the_api(calls, "during-api", due_in=2.0))
        time.sleep(3)
        own_redis.start()
        back_at = time.monotonic()
    finally:
        os.kill(worker.pid, signal.SIGCONT)
    after = one_offs(calls, "after", due_in=[2.0, 3.0])
    # Sent again once beat sees Redis came back empty, not after EXECUTION_REDISPATCH_AFTER_SECONDS.
    arrived_exactly_once(calls, sent + during + after, timeout=20)
    assert calls.first_after(back_at) <= 5
    assert processes.exited() == {}
    assert "Redis lost its messages" in processes.log("beat")


@postgresql_only
def test_terminated_database_backends_are_replaced(processes: Processes, receiver: Any) -> None:
    calls = Calls(receiver)
    start_platform(processes)
    names = one_offs(calls, "due", due_in=[1.0 + 0.5 * n for n in range(12)])
    for pause in (1.5, 2.5):  # once with connections idle, once as attempts run
        time.sleep(pause)
        terminate_backends(database_url_for_processes(), connection.settings_dict["NAME"])
    connection.close()  # this test's own session was one of them
    arrived_exactly_once(calls, names, timeout=30)
    assert processes.exited() == {}
    # Each thread that met a dead connection replaced it: later attempts all succeeded.
    assert set(Execution.objects.values_list("status", flat=True)) == {ExecutionStatus.SUCCEEDED}


def _answers_during_the_outage(token: str) -> dict[str, Any]:
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    job = {"namespace": "n", "name": "x", "trigger": {"kind": "now"}, "callback": {"kind": "http", "url": "http://127.0.0.1:9/"}}
    crontab = {"task_list": [{"name": "x", "type": 1, "start_time": int(time.time()) + 60, "url": "http://127.0.0.1:9/", "method": "post"}]}
    posts = {
        "v1": ("/api/v1/jobs", job),
        "crontab": ("/crontab/add_task", crontab),
        "hangfire": ("/api/hangfire/enqueue", {"serviceId": 1, "messageId": 1}),
        "xtimer": ("/xtimer/creatTimer", {"app": "a", "name": "x"}),
        "dispatch": ("/dispatchserver/add.do", {"groupCode": "g", "jobCode": "x"}),
        "queues": ("/api/queues/CreateTask", {"Task": {"Channel": "c"}}),
    }
    answers = {name: client.post(path, body, content_type="application/json") for name, (path, body) in posts.items()}
    return answers | {"healthz": Client().get("/healthz")}


@postgresql_only
def test_database_refusing_connections_is_waited_out_and_clients_get_503(processes: Processes, receiver: Any) -> None:
    calls = Calls(receiver)
    token = staff_token("client")
    start_platform(processes)
    names = one_offs(calls, "due", due_in=[1.0 + 0.7 * n for n in range(10)])
    tick = {"kind": "http", "url": calls.url + "tick"}
    every_second = services.create_job(namespace="outage", name="tick", trigger={"kind": "interval", "every_seconds": 1}, callback=tick)
    time.sleep(1.5)
    with connections_refused(database_url_for_processes(), connection.settings_dict["NAME"]):
        time.sleep(1)
        answers = _answers_during_the_outage(token)
        time.sleep(3)
    connection.close()  # this test's own session ended with the others
    arrived_exactly_once(calls, names, timeout=30)
    assert processes.exited() == {}
    assert {name: response.status_code for name, response in answers.items()} == {name: 503 for name in answers}
    assert all(response["Retry-After"] == "5" for name, response in answers.items() if name != "healthz")
    assert answers["v1"].json()["code"] == "unavailable"
    assert answers["crontab"].json()["state"] == -1 and answers["hangfire"].json()["returnCode"] == 503
    assert answers["dispatch"].json()["success"] is False and answers["queues"].json()["State"] == 503
    assert set(answers["xtimer"].json()) >= {"code", "message"}
    assert "OperationalError" in answers["healthz"].json()["database"]
    # The interval's occurrences due during the outage fired late (within its misfire grace), none skipped.
    ticks = Execution.objects.filter(job=Job.objects.get(pk=every_second.pk))
    assert not ticks.filter(status=ExecutionStatus.SKIPPED).exists() and ticks.count() >= 8
