"""The per-target concurrency limit: its semaphore on the real Redis, the rules that pick a
target's limit, the targets callback kinds name, and an attempt deferred by a busy target."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_results.models import TaskResult
from pytest_httpserver import HTTPServer

from tasks_app import host_limits, services
from tasks_app.callbacks import build_callback
from tasks_app.host_limits import Full, Lease
from tasks_app.models import Execution
from tests.conftest import wait_for
from tests.factories import make_job, make_service

TARGET = "api.example.com:443"


@pytest.fixture
def limited(settings, redis_client):
    """A limit of 2 at every target, refused at once (no wait)."""
    settings.CALLBACK_MAX_CONCURRENT_PER_HOST = 2
    settings.CALLBACK_HOST_LIMIT_WAIT_SECONDS = 0
    return settings


def test_slots_are_taken_up_to_the_limit_then_refused_until_one_is_given_back(limited) -> None:
    first, second = host_limits.acquire(TARGET, lease_seconds=60), host_limits.acquire(TARGET, lease_seconds=60)
    assert isinstance(first, Lease) and isinstance(second, Lease) and first.token != second.token
    assert host_limits.acquire(TARGET, lease_seconds=60) == Full(TARGET, 2)
    first.release()
    assert isinstance(host_limits.acquire(TARGET, lease_seconds=60), Lease)


def test_targets_are_counted_apart(limited) -> None:
    for _ in range(2):
        assert isinstance(host_limits.acquire(TARGET, lease_seconds=60), Lease)
    assert isinstance(host_limits.acquire("other.example.com:443", lease_seconds=60), Lease)


def test_a_lease_that_ran_out_frees_its_slot(limited) -> None:
    """A worker killed mid-call never gives its slot back: the lease runs out instead."""
    assert isinstance(host_limits.acquire(TARGET, lease_seconds=60), Lease)
    assert isinstance(host_limits.acquire(TARGET, lease_seconds=0.05), Lease)
    assert isinstance(host_limits.acquire(TARGET, lease_seconds=60), Full)
    wait_for(lambda: isinstance(host_limits.acquire(TARGET, lease_seconds=60), Lease), timeout=5, message="the short lease to run out")
    assert host_limits.acquire(TARGET, lease_seconds=60) == Full(TARGET, 2)


def test_the_key_lives_as_long_as_its_longest_lease(limited, redis_client) -> None:
    lease = host_limits.acquire(TARGET, lease_seconds=60)
    assert isinstance(lease, Lease)
    host_limits.acquire(TARGET, lease_seconds=1)
    assert 50_000 < redis_client.pttl(lease.key) <= 60_000
    lease.release()


def test_a_waiting_call_takes_the_slot_given_back_meanwhile(limited) -> None:
    limited.CALLBACK_MAX_CONCURRENT_PER_HOST = 1
    limited.CALLBACK_HOST_LIMIT_WAIT_SECONDS = 10
    held = host_limits.acquire(TARGET, lease_seconds=60)
    assert isinstance(held, Lease)
    threading.Timer(0.2, held.release).start()
    assert isinstance(host_limits.acquire(TARGET, lease_seconds=60), Lease)


@pytest.mark.parametrize(
    ("target", "rule"),
    [
        ("api.example.com:443", ("api.example.com:443", 1)),  # its host:port override
        ("api.example.com:80", ("api.example.com", 4)),  # its host's override, shared by the host's ports
        ("10.0.0.5:8080", ("10.0.0.5:8080", 3)),  # the default
        ("[::1]:80", ("[::1]", 2)),
        ("", ("", 0)),  # a kind that names no target is never limited
    ],
)
def test_rules(settings, target: str, rule: tuple[str, int]) -> None:
    settings.CALLBACK_MAX_CONCURRENT_PER_HOST = 3
    settings.CALLBACK_HOST_LIMITS = {"api.example.com": 4, "api.example.com:443": 1, "[::1]": 2}
    assert host_limits.rule_for(target) == rule


def test_with_no_limit_set_nothing_is_limited(settings) -> None:
    settings.CALLBACK_MAX_CONCURRENT_PER_HOST = 0
    settings.CALLBACK_HOST_LIMITS = {}
    assert host_limits.rule_for(TARGET) == (TARGET, 0)
    assert host_limits.slot_for(build_callback({"url": "http://x"}), lease_seconds=60) is host_limits.UNLIMITED


@pytest.mark.parametrize(
    ("callback", "target"),
    [
        ({"url": "https://API.example.com/run"}, "api.example.com:443"),
        ({"url": "http://[::1]:8080/run"}, "[::1]:8080"),
        ({"kind": "http_recall", "url": "http://svc/recall"}, "svc:80"),
        ({"kind": "socket", "host": "Svc", "port": 9000}, "svc:9000"),
        ({"kind": "socket", "host": "::1", "port": 9000}, "[::1]:9000"),
        ({"kind": "rpc", "address": "rpc.local:7000", "method": "Jobs.Run"}, "rpc.local:7000"),
    ],
)
def test_callback_kinds_name_their_target(callback: dict, target: str) -> None:
    assert build_callback(callback).target == target


@pytest.mark.django_db
def test_registered_kinds_name_their_services_host() -> None:
    make_service(base_url="http://orders.internal:8081/base", consumer_path="/consume", routes={7: "/create"})
    assert build_callback({"kind": "consume", "service_id": 2001, "message_id": 1}).target == "orders.internal:8081"
    assert build_callback({"kind": "transfer", "service_id": 2001, "message_id": 7}).target == "orders.internal:8081"
    assert build_callback({"kind": "consume", "service_id": 2002, "message_id": 1}).target == ""


@pytest.mark.django_db(transaction=True)
def test_a_busy_target_defers_the_attempt_without_counting_it(limited, httpserver: HTTPServer) -> None:
    limited.CALLBACK_MAX_CONCURRENT_PER_HOST = 1
    httpserver.expect_request("/run").respond_with_data("ok")
    job = make_job(url=httpserver.url_for("/run"))
    services.claim_due_occurrences()
    execution = Execution.objects.get(job=job)
    held = host_limits.acquire(f"localhost:{httpserver.port}", lease_seconds=60)
    assert isinstance(held, Lease)

    summary = services.run_execution(execution_id=execution.pk, task_id="deferred-task")
    execution.refresh_from_db()
    assert summary["status"] == "deferred" and execution.status == "queued" and execution.attempt == 1
    assert execution.error == f"deferred: 1 calls to localhost:{httpserver.port} already running"
    assert execution.dispatched_at is None and execution.started_at is None and execution.deadline_at is None
    assert timezone.now() < execution.due_at < timezone.now() + timedelta(seconds=5)
    assert json.loads(TaskResult.objects.get(task_id="deferred-task").result)["status"] == "deferred"
    assert httpserver.log == []

    held.release()
    sent: list[Execution] = []
    assert services.dispatch_due_executions(send=sent.extend, now=timezone.now() + timedelta(seconds=5)) == 1
    assert services.run_execution(execution_id=sent[0].pk, task_id="second-task")["status"] == "succeeded"
    assert list(Execution.objects.filter(job=job).values_list("attempt", "status", "error")) == [(1, "succeeded", "")]
