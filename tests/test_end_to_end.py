"""The platform as it runs: real beat and worker processes on the test database and Redis,
callbacks counted at a real local HTTP server."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from werkzeug import Request, Response

from tasks_app.models import Execution
from tests.conftest import wait_for
from tests.factories import make_job

pytestmark = pytest.mark.e2e


def test_job_arrives_on_time_through_beat_and_worker(processes, receiver) -> None:
    arrivals: list[float] = []
    receiver.expect_request("/tick").respond_with_handler(lambda request: (arrivals.append(time.time()), Response("ok"))[1])
    processes.worker()
    processes.beat()
    time.sleep(3)  # both processes up before the job is due
    due = timezone.now() + timedelta(seconds=3)
    job = make_job(callback={"url": receiver.url_for("/tick")}, trigger={"kind": "at", "at": due.isoformat()})
    wait_for(lambda: Execution.objects.filter(job=job, status="succeeded").exists(), timeout=30, message="the callback")
    assert len(arrivals) == 1
    lateness = arrivals[0] - due.timestamp()
    assert 0 <= lateness < 2.0, f"arrived {lateness:.3f}s after it was due\n{processes.log('beat')}"


def test_worker_killed_mid_call_loses_nothing(processes, receiver) -> None:
    calls: list[str] = []
    first_call_started = threading.Event()

    def slow_then_fast(request: Request) -> Response:
        calls.append(request.headers.get("X-Execution-Id", ""))
        if len(calls) == 1:
            first_call_started.set()
            time.sleep(3)
        return Response("done")

    receiver.expect_request("/slow").respond_with_handler(slow_then_fast)
    processes.worker("worker-1")
    processes.beat()
    job = make_job(callback={"url": receiver.url_for("/slow"), "timeout_seconds": 5})
    assert first_call_started.wait(timeout=30), processes.log("worker-1")
    processes.kill("worker-1")
    processes.worker("worker-2")
    execution = wait_for(
        lambda: Execution.objects.filter(job=job, status="succeeded").first(), timeout=40, message="the attempt to complete"
    )
    assert len(calls) == 2 and calls[0] == calls[1] == str(execution.pk)
    assert Execution.objects.filter(job=job).count() == 1


def test_worker_killed_mid_message_loses_nothing_and_records_each_attempt_once(processes, receiver) -> None:
    """Forty attempts due together travel in a few messages; the worker dies while the first
    message's calls are in flight. Every attempt ends succeeded, once, with one TaskResult; only
    the calls that were in flight at the kill are made again. The killed worker had claimed every
    attempt of its message as it arrived: they all come back after their deadline (the callback's
    5 s and the tests' 2 s grace), with no wait for a re-send of the message."""
    from django_celery_results.models import TaskResult

    calls: list[str] = []
    killed = threading.Event()

    def slow_until_killed(request: Request) -> Response:
        calls.append(request.headers.get("X-Execution-Id", ""))
        if not killed.is_set():
            time.sleep(2)
        return Response("done")

    receiver.expect_request("/batch").respond_with_handler(slow_until_killed)
    processes.worker("worker-1")
    processes.beat()
    time.sleep(3)  # both processes up before the jobs are due
    due = (timezone.now() + timedelta(seconds=2)).isoformat()
    callback = {"url": receiver.url_for("/batch"), "timeout_seconds": 5}
    jobs = [make_job(callback=callback, trigger={"kind": "at", "at": due}) for _ in range(40)]
    wait_for(lambda: len(calls) >= 10, timeout=30, message="calls in flight")
    processes.kill("worker-1")
    time.sleep(1)  # calls it sent just before it died may still be landing; no worker runs now
    in_flight = len(calls)
    killed.set()
    processes.worker("worker-2")
    done = Execution.objects.filter(job__in=jobs, status="succeeded")
    try:
        wait_for(lambda: done.count() == 40, timeout=60, message="all forty to succeed")
    except AssertionError as error:  # say where the others are
        states = Execution.objects.filter(job__in=jobs).values_list("status", "dispatched_at", "started_at")
        raise AssertionError(f"{error}: {sorted(map(str, states))}") from None
    assert Execution.objects.filter(job__in=jobs).count() == 40
    assert set(calls) == {str(pk) for pk in done.values_list("pk", flat=True)}
    assert len(calls) <= 40 + in_flight
    task_ids = list(done.values_list("task_id", flat=True))
    assert TaskResult.objects.filter(task_id__in=task_ids, status="SUCCESS").count() == 40
