"""Flower, started as the README says (``celery -A scheduler_project flower``), against a real
worker process: it lists the worker, the tasks with their true states (no housekeeping among
them) and the jobs queue in its broker tab."""

from __future__ import annotations

import json
import os
import socket
import urllib.request
from typing import Any

import pytest
from django.conf import settings
from werkzeug import Response

from tasks_app.models import Execution
from tasks_app.tasks import expire_queue_leases
from tests.conftest import wait_for
from tests.factories import make_job
from tests.tasks_app.test_worker import fire_due

pytestmark = pytest.mark.e2e
pytest.importorskip("flower")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(base: str, path: str) -> Any:
    try:
        with urllib.request.urlopen(f"{base}{path}", timeout=10) as response:
            body = response.read().decode()
    except OSError:
        return None
    return json.loads(body) if path.startswith("/api/") else body


def run_alone(url: str, outcome: str) -> str:
    """A job run in a message of its own; returns its Celery task id."""
    job = make_job(callback={"url": url})
    fire_due()
    execution = wait_for(lambda: Execution.objects.filter(job=job, status=outcome).first(), message=f"an attempt that {outcome}")
    return str(execution.task_id)


def test_flower_lists_workers_true_task_states_and_the_jobs_queue(processes, receiver, monkeypatch) -> None:
    monkeypatch.setenv("FLOWER_UNAUTHENTICATED_API", "true")  # its JSON API, read here without a login
    receiver.expect_request("/ok").respond_with_data("fine")
    receiver.expect_request("/down").respond_with_handler(lambda request: Response("boom", status=500))
    name = f"flower-{os.getpid()}"
    processes.worker(name, pool="threads", concurrency=2)
    port = free_port()
    processes.start("flower", "flower", f"--port={port}", "--address=127.0.0.1")
    base = f"http://127.0.0.1:{port}"

    def sees_our_worker() -> bool:
        """Flower lists every worker on this Redis (other runs' too): wait for this test's one."""
        return any(worker.startswith(f"{name}-") for worker in get(base, "/api/workers?refresh=1") or {})

    wait_for(sees_our_worker, timeout=60, every=1, message="Flower to see the worker")
    # Flower turns the worker's task events on (make run's worker has them on from the start).
    wait_for(lambda: "enabled by remote" in processes.log(name), timeout=30, message="Flower to enable the worker's events")
    expire_queue_leases.delay()
    ids = {run_alone(receiver.url_for("/ok"), "succeeded"): "SUCCESS", run_alone(receiver.url_for("/down"), "failed"): "FAILURE"}

    def ours() -> dict[str, dict[str, Any]]:
        """Flower sees every run's workers on this Redis: only this test's worker counts."""
        return {k: v for k, v in (get(base, "/api/tasks") or {}).items() if str(v.get("worker", "")).startswith(f"{name}-")}

    def states() -> bool:
        seen = {task_id: task.get("state") for task_id, task in ours().items()}
        return all(seen.get(task_id) == state for task_id, state in ids.items())

    wait_for(states, timeout=30, every=0.5, message="Flower to show both tasks in their true states")
    assert {task.get("name") for task in ours().values()} == {"tasks_app.tasks.execute"}  # no housekeeping
    broker = get(base, "/broker")
    assert broker is not None and settings.CELERY_TASK_DEFAULT_QUEUE in broker and "not supported" not in broker
