"""The per-target limit across real worker processes (thread pools) calling one slow receiver."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
import redis
from django.conf import settings
from django_celery_results.models import TaskResult
from werkzeug import Request, Response

from tasks_app import services
from tasks_app.models import Execution, Job
from tasks_app.tasks import send_executions
from tests.conftest import wait_for
from tests.factories import make_job

pytestmark = pytest.mark.e2e
JOBS = 12
LIMIT_KEYS = f"{settings.REDIS_KEY_PREFIX}host-limit:"


class InFlight:
    """A handler that holds each request a moment and records the most it held at once."""

    def __init__(self, hold_seconds: float) -> None:
        self.hold_seconds = hold_seconds
        self.lock = threading.Lock()
        self.current = self.most = self.received = 0

    def __call__(self, request: Request) -> Response:
        with self.lock:
            self.current += 1
            self.received += 1
            self.most = max(self.most, self.current)
        try:
            time.sleep(self.hold_seconds)
        finally:
            with self.lock:
                self.current -= 1
        return Response("ok")


class CommandLog:
    """Redis MONITOR in a thread: the commands the server runs while the block runs."""

    def __init__(self) -> None:
        self.client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=10)
        self.commands: list[str] = []
        self.listening = threading.Event()
        self.stop = f"{settings.REDIS_KEY_PREFIX}monitor-stop"
        self.thread = threading.Thread(target=self._listen, daemon=True)

    def _listen(self) -> None:
        with self.client.monitor() as monitor:
            self.listening.set()
            for command in monitor.listen():
                if self.stop in command["command"]:
                    return
                self.commands.append(command["command"])

    def __enter__(self) -> CommandLog:
        self.thread.start()
        assert self.listening.wait(10), "MONITOR did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.echo(self.stop)
        self.thread.join(timeout=10)

    def naming(self, text: str) -> list[str]:
        return [command for command in self.commands if text in command]


def run_jobs(processes: Any, receiver: Any, *, workers: int) -> tuple[InFlight, list[Job]]:
    """JOBS jobs calling the receiver, run by ``workers`` processes of 3 threads each."""
    handler = InFlight(hold_seconds=0.2)
    receiver.expect_request("/slow").respond_with_handler(handler)
    jobs = [make_job(url=receiver.url_for("/slow")) for _ in range(JOBS)]
    for number in range(workers):
        processes.worker(f"worker-{number}", pool="threads", concurrency=3)

    def all_succeeded() -> bool:
        services.claim_due_occurrences()
        services.dispatch_due_executions(send=send_executions)  # re-sends the deferred ones once due
        return Execution.objects.filter(job__in=jobs, status="succeeded").count() == JOBS

    wait_for(all_succeeded, timeout=120, every=0.2, message=f"{JOBS} executions to succeed")
    return handler, jobs


def test_at_most_the_limit_of_calls_reach_a_host_at_once(processes, receiver, redis_client, monkeypatch) -> None:
    monkeypatch.setenv("CALLBACK_MAX_CONCURRENT_PER_HOST", "2")
    handler, jobs = run_jobs(processes, receiver, workers=2)
    assert handler.most <= 2 and handler.received == JOBS  # a deferral calls nothing
    executions = list(Execution.objects.filter(job__in=jobs).values_list("attempt", "status", "error"))
    assert executions == [(1, "succeeded", "")] * JOBS  # deferrals are not attempts
    summaries = [json.loads(r) for r in TaskResult.objects.values_list("result", flat=True)]
    assert sorted({s["status"] for s in summaries}) in (["succeeded"], ["deferred", "succeeded"])
    assert [s["status"] for s in summaries].count("succeeded") == JOBS
    assert list(redis_client.scan_iter(f"{LIMIT_KEYS}*")) == []  # every slot given back


def test_without_a_limit_no_limit_key_is_touched(processes, receiver, monkeypatch) -> None:
    monkeypatch.delenv("CALLBACK_MAX_CONCURRENT_PER_HOST", raising=False)
    monkeypatch.delenv("CALLBACK_HOST_LIMITS", raising=False)
    with CommandLog() as log:
        run_jobs(processes, receiver, workers=1)
    assert log.naming(settings.CELERY_TASK_DEFAULT_QUEUE), "MONITOR saw none of the run's own commands"
    assert log.naming(LIMIT_KEYS) == []
