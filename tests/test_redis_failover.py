"""Redis Sentinel failover under load: a worker and a beat on a ``sentinel://`` REDIS_URL keep
firing while the master is killed and the sentinel promotes its replica; nothing is restarted by
hand and every due one-off is called exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from werkzeug import Request, Response

from tasks_app import heartbeats
from tasks_app.models import Execution
from tests.conftest import Processes, wait_for
from tests.factories import make_job

pytestmark = pytest.mark.e2e
JOBS = 40
SPACING_SECONDS = 0.25


class SentinelProcesses(Processes):
    """Worker and beat processes whose REDIS_URL names the sentinel set."""

    def __init__(self, tmp_path: Path, redis_url: str) -> None:
        super().__init__(tmp_path)
        self.redis_url = redis_url

    def env(self) -> dict[str, str]:
        # A message the dead master had not yet passed to its replica is sent again from the
        # database after this long (the deployment default is minutes).
        return super().env() | {"REDIS_URL": self.redis_url, "EXECUTION_REDISPATCH_AFTER_SECONDS": "5"}


def test_every_due_one_off_fires_once_across_a_sentinel_failover(transactional_db, on_sentinel, sentinel_set, receiver, tmp_path) -> None:
    calls: Counter[str] = Counter()
    lock = threading.Lock()

    def count(request: Request) -> Response:
        with lock:
            calls[request.headers.get("X-Job-Id", "")] += 1
        time.sleep(1)  # calls, and so unacknowledged messages, are in flight when the master dies
        return Response("ok")

    receiver.expect_request("/fire").respond_with_handler(count)
    group = SentinelProcesses(tmp_path, sentinel_set.url)
    try:
        group.worker(pool="threads", concurrency=8)
        group.beat()
        wait_for(lambda: heartbeats.alive("worker") and heartbeats.alive("beat"), timeout=30, message="heartbeats")
        jobs = _one_offs_due_over_the_next_seconds(receiver.url_for("/fire"))
        wait_for(lambda: sum(calls.values()) >= JOBS // 4, timeout=30, message="the first fires")
        old_master = sentinel_set.master_port()
        sentinel_set.kill("master")
        wait_for(lambda: sentinel_set.master_port() != old_master, timeout=30, message="the sentinel to promote the replica")
        assert sentinel_set.master_port() == sentinel_set.ports["replica"]
        wait_for(lambda: len(calls) >= JOBS, timeout=60, message=f"every job's call ({len(calls)} of {JOBS})")
        time.sleep(2)  # room for a late duplicate to show
        _assert_each_fired_once(jobs, calls, group)
    finally:
        group.stop_all()


def _one_offs_due_over_the_next_seconds(url: str) -> list[int]:
    start = timezone.now() + timedelta(seconds=2)
    return [
        make_job(
            callback={"kind": "http", "url": url, "method": "POST", "timeout_seconds": 5},
            trigger={"kind": "at", "at": (start + timedelta(seconds=index * SPACING_SECONDS)).isoformat()},
        ).pk
        for index in range(JOBS)
    ]


def _assert_each_fired_once(jobs: list[int], calls: Counter[str], group: SentinelProcesses) -> None:
    logs = f"\n--- worker\n{group.log('worker')[-4000:]}\n--- beat\n{group.log('beat')[-4000:]}"
    assert {name: process.poll() for name, process in group.running.items()} == {"worker": None, "beat": None}, logs
    assert group.log("worker").count("Connected to") >= 2, "the worker never lost the master" + logs
    assert sorted(calls) == sorted(str(pk) for pk in jobs), logs
    assert set(calls.values()) == {1}, {job: n for job, n in calls.items() if n != 1}
    per_job = Counter(Execution.objects.filter(job_id__in=jobs).values_list("job_id", flat=True))
    assert per_job == Counter(jobs), "an occurrence with two executions"
    assert set(Execution.objects.filter(job_id__in=jobs).values_list("status", flat=True)) == {"succeeded"}
