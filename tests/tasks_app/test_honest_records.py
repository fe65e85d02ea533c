"""What the records say is what happened: lateness from the call's real start, a failed attempt's
task is a failure (in its TaskResult and in the worker's task events), and stock Celery tools
without the app talk to the workers."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from typing import Any

import pytest
from celery import states
from celery.result import AsyncResult
from django.conf import settings
from django_celery_results.models import TaskResult
from werkzeug import Response

from scheduler_project.celery import app
from tasks_app.attempts.task_results import AttemptFailed
from tasks_app.models import Execution
from tasks_app.tasks import expire_queue_leases
from tests.conftest import wait_for
from tests.factories import make_job
from tests.tasks_app.test_worker import fire_due


@pytest.mark.usefixtures("celery_worker_one_callback_thread")
def test_lateness_is_the_call_start_minus_due(receiver, settings) -> None:
    """Three attempts due together share one callback thread: the third begins about two calls
    late, and its record says so (the planned start would read the same for all three)."""
    settings.EXECUTION_MESSAGE_SIZE = 3
    arrived: dict[int, float] = {}

    def slow(request: Any) -> Response:
        arrived[int(request.headers["X-Execution-Id"])] = time.time()
        time.sleep(0.4)
        return Response("ok")

    receiver.expect_request("/slow").respond_with_handler(slow)
    jobs = [make_job(callback={"url": receiver.url_for("/slow")}) for _ in range(3)]
    fire_due()
    done = Execution.objects.filter(job__in=jobs, status="succeeded")
    wait_for(lambda: done.count() == 3, message="three calls")
    records = sorted(done, key=lambda e: e.started_at)
    for execution in records:
        assert execution.lateness_ms == round((execution.started_at - execution.due_at).total_seconds() * 1000)
        assert 0 <= arrived[execution.pk] - execution.started_at.timestamp() < 0.3
    # Each call holds the one thread for 0.4 s, so the third began at least two calls after the
    # first (started_at, not lateness: the three jobs' due times differ by their creation's ms).
    assert (records[2].started_at - records[0].started_at).total_seconds() >= 0.75
    assert records[2].lateness_ms > records[0].lateness_ms


@pytest.mark.usefixtures("celery_worker")
def test_a_failed_attempt_is_a_failed_task(receiver) -> None:
    receiver.expect_request("/down").respond_with_handler(lambda request: Response("boom", status=500))
    job = make_job(callback={"url": receiver.url_for("/down")})
    fire_due()
    execution = wait_for(lambda: Execution.objects.filter(job=job, status="failed").first(), message="failure")
    result = wait_for(lambda: TaskResult.objects.filter(task_id=execution.task_id).first(), message="TaskResult")
    assert result.status == states.FAILURE and "HTTP 500" in result.result
    stored = AsyncResult(execution.task_id, app=app)
    assert stored.state == states.FAILURE and isinstance(stored.result, AttemptFailed)


def _celery(*arguments: str) -> str:
    """The stock celery CLI with no app: only the broker's URL."""
    command = [sys.executable, "-m", "celery", f"--broker={settings.CELERY_BROKER_URL}", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False).stdout


class TaskEvents:
    """The task events one worker sends, as Flower receives them."""

    def __init__(self, hostname: str) -> None:
        self.hostname = hostname
        self.states: dict[str, str] = {}
        self._stop = False
        self._thread = threading.Thread(target=self._receive, daemon=True)

    def _receive(self) -> None:
        with app.connection_for_read() as connection:
            receiver = app.events.Receiver(connection, handlers={"*": self._on_event})
            while not self._stop:
                try:
                    receiver.capture(limit=None, timeout=0.5, wakeup=False)
                except TimeoutError:
                    continue

    def _on_event(self, event: dict[str, Any]) -> None:
        if event.get("hostname") != self.hostname or "uuid" not in event:
            return
        self.states[event["uuid"]] = event["type"]

    def __enter__(self) -> TaskEvents:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        self._thread.join(timeout=5)


def test_stock_celery_tools_see_the_workers_and_their_true_task_states(processes, receiver) -> None:
    name = f"stock-{time.monotonic_ns()}"
    processes.worker(name, pool="threads", concurrency=2)
    hostname = wait_for(lambda: _pinged(name), timeout=60, every=1, message="the worker to answer a stock ping")
    assert settings.CELERY_TASK_DEFAULT_QUEUE in _celery("inspect", "active_queues", "-d", hostname)
    _celery("control", "enable_events", "-d", hostname)
    receiver.expect_request("/down").respond_with_handler(lambda request: Response("boom", status=500))
    receiver.expect_request("/ok").respond_with_data("fine")
    with TaskEvents(hostname) as events:
        failed = _run(receiver.url_for("/down"), "failed")
        wait_for(lambda: events.states.get(failed) == "task-failed", timeout=10, message="a task-failed event")
        sweep = expire_queue_leases.delay().id  # sent while events are received (the failure's arrived)
        wait_for(lambda: f"expire_queue_leases[{sweep}] succeeded" in processes.log(name), message="the sweep to run")
        succeeded = _run(receiver.url_for("/ok"), "succeeded")
        wait_for(lambda: events.states.get(succeeded) == "task-succeeded", timeout=10, message="a task-succeeded event")
    assert sweep not in events.states  # housekeeping sends no events


def _run(url: str, outcome: str) -> str:
    job = make_job(callback={"url": url})
    fire_due()
    return str(wait_for(lambda: Execution.objects.filter(job=job, status=outcome).first(), message=outcome).task_id)


def _pinged(name: str) -> str | None:
    for line in _celery("inspect", "ping", "--timeout", "2").splitlines():
        if f"{name}-" in line and "@" in line:
            return line.split("->", 1)[1].split(":", 1)[0].strip()
    return None
