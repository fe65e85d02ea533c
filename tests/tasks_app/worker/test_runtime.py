"""The worker runtime: made and stopped with the worker (its bootstep), one per prefork child, and
one per process outside a worker; a worker's attempts end before its runtime stops."""

from __future__ import annotations

import multiprocessing
import threading
import time
from typing import Any

import pytest
from werkzeug import Response

from tasks_app.models import Execution
from tasks_app.worker import runtime
from tasks_app.worker.runtime import Runtime, WorkerRuntime
from tests.conftest import wait_for
from tests.factories import make_job
from tests.tasks_app.test_worker import fire_due


def _runtime_step(worker: Any) -> WorkerRuntime:
    return next(step for step in worker.steps if isinstance(step, WorkerRuntime))


def _stopped(candidate: Runtime) -> bool:
    try:
        candidate.database.submit(print)
    except RuntimeError:  # an executor that was shut down takes no more work
        return True
    return False


def test_outside_a_worker_one_runtime_is_started_and_kept() -> None:
    first = runtime.current()
    assert runtime.current() is first and not _stopped(first)


def test_a_runtime_started_in_place_of_another_stops_it() -> None:
    before = runtime.current()
    replacement = Runtime()
    replacement.start()
    try:
        assert runtime.current() is replacement and _stopped(before)
    finally:
        replacement.stop()
    assert runtime.current() is not replacement


def _run_on_current_runtime(results: Any) -> None:
    results.put(runtime.current().start_timer.submit_in(0.01, lambda: "ran").result(timeout=5))


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="forks")
def test_a_forked_child_starts_a_runtime_of_its_own() -> None:
    """Threads do not survive a fork: a child that used its parent's runtime would wait for
    ever on a start timer with no thread."""
    runtime.current().start_timer.submit_in(0, lambda: None).result(timeout=5)  # the parent's, running
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_run_on_current_runtime, args=(results,))
    child.start()
    try:
        assert results.get(timeout=10) == "ran"
    finally:
        child.join(timeout=10)


def test_a_worker_runs_on_the_runtime_its_bootstep_made(celery_worker) -> None:
    assert runtime.current() is _runtime_step(celery_worker).obj


@pytest.mark.usefixtures("transactional_db", "redis_client")
def test_a_stopping_worker_ends_its_attempts_before_its_runtime(receiver, settings) -> None:
    """Attempts are mid-call on the runtime's callback threads as the worker stops: its pool's
    task ends first (each call recorded through the runtime's database thread), then the runtime."""
    from celery.contrib.testing.worker import start_worker

    from scheduler_project.celery import app

    settings.EXECUTION_MESSAGE_SIZE = 3
    calling = threading.Event()
    receiver.expect_request("/slow").respond_with_handler(lambda request: (calling.set(), time.sleep(1), Response("ok"))[-1])
    jobs = [make_job(callback={"url": receiver.url_for("/slow")}) for _ in range(3)]
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, queues=[settings.CELERY_TASK_DEFAULT_QUEUE]) as worker:
        used = _runtime_step(worker).obj
        fire_due()
        assert calling.wait(timeout=10)
    assert _stopped(used) and runtime.current() is not used
    assert Execution.objects.filter(job__in=jobs, status="succeeded").count() == 3


def test_prefork_children_each_run_attempts_on_a_runtime_of_their_own(processes, receiver, settings) -> None:
    """The parent makes no runtime; each child starts one as it starts and stops it as it exits."""
    settings.EXECUTION_MESSAGE_SIZE = 3
    receiver.expect_request("/forked").respond_with_data("ok")
    jobs = [make_job(callback={"url": receiver.url_for("/forked")}) for _ in range(6)]
    processes.worker("forked", pool="prefork", concurrency=2)
    wait_for(lambda: "ready." in processes.log("forked"), timeout=60, message="the prefork worker to start")
    fire_due()  # two messages of three attempts: each runs on a child's callback threads
    done = Execution.objects.filter(job__in=jobs, status="succeeded")
    wait_for(lambda: done.count() == 6, timeout=30, message="six attempts")
    assert processes.stop("forked") == 0  # each child stops its runtime as it exits
    assert "Traceback" not in processes.log("forked")


def test_the_runtime_has_the_configured_callback_threads(settings) -> None:
    settings.WORKER_CALLBACK_THREADS = 3
    made = Runtime()
    try:
        started = [made.callbacks.submit(time.sleep, 0.2) for _ in range(4)]
        time.sleep(0.1)
        assert sum(future.running() for future in started) == 3
    finally:
        made.stop()
