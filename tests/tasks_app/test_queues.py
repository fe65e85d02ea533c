"""The queue services on their own: the Redis ready queue as an index the database can rebuild,
lease bookkeeping, and the periodic sweep run by real beat and worker processes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
from django.test import Client
from django.utils import timezone

from tasks_app import heartbeats, ready_queue, services
from tasks_app.models import QueueTask
from tests.conftest import Processes, wait_for


def make(channel: str = "work", **fields: object) -> QueueTask:
    return services.create_queue_task(channel=channel, **fields)[0]  # type: ignore[arg-type]


@pytest.fixture
def queues(transactional_db: None, redis_client: redis.Redis) -> redis.Redis:
    return redis_client


def test_a_lost_ready_queue_is_rebuilt_from_the_database(queues: redis.Redis) -> None:
    first, second = make(), make()
    queues.delete(ready_queue.key("work"))
    assert services.receive_queue_task(channel="work", wait_seconds=0) is None
    assert services.repair_ready_queues() == 1 and services.repair_ready_queues() == 0
    assert [services.receive_queue_task(channel="work", wait_seconds=0).pk for _ in range(2)] == [first.pk, second.pk]  # type: ignore[union-attr]


def test_stale_and_duplicate_entries_hand_out_nothing(queues: redis.Redis) -> None:
    task = make()
    ready_queue.add([("work", task.pk, 0.0), ("work", 999_999, 0.0)])  # a duplicate and an unknown id
    assert services.receive_queue_task(channel="work", wait_seconds=0.2).pk == task.pk  # type: ignore[union-attr]
    assert services.receive_queue_task(channel="work", wait_seconds=0.2) is None
    assert QueueTask.objects.get().deliveries == 1


def test_a_returned_lease_is_only_the_delivery_that_held_it(queues: redis.Redis) -> None:
    task = make()
    first = services.receive_queue_task(channel="work", wait_seconds=0)
    assert first is not None
    services.return_queue_tasks(leases=[(task.pk, first.deliveries)])
    second = services.receive_queue_task(channel="work", wait_seconds=0)
    assert second is not None and second.deliveries == 2
    assert services.return_queue_tasks(leases=[(task.pk, first.deliveries)]) == 0, "a stale lease returns nothing"
    assert services.held_leases(leases=[(task.pk, 1), (task.pk, 2)]) == {(task.pk, 2)}


def test_the_sweep_fails_a_task_out_of_retries_and_cancels_its_chain(queues: redis.Redis) -> None:
    head = make(retry_max_limit=1)
    follower = make(prior_id=head.pk)
    now = timezone.now()
    for expiry in (1, 2):
        services.receive_queue_task(channel="work", wait_seconds=0)
        assert services.sweep_queue_tasks(now=now + timedelta(seconds=31 * expiry)) == 1
    head.refresh_from_db()
    follower.refresh_from_db()
    assert (head.state, head.retry_count, follower.state) == ("FAILURE", 1, "CANCEL")


def test_the_admin_shows_a_task_with_its_history_and_cancels_through_the_services(admin_client: Client, queues: redis.Redis) -> None:
    head = make(channel="mail")
    follower = make(channel="mail", prior_id=head.pk)
    services.receive_queue_task(channel="mail", wait_seconds=0, holder="worker-7")
    page = admin_client.get(f"/admin/tasks_app/queuetask/{head.pk}/change/")
    assert page.status_code == 200 and b"handed out" in page.content and b"to worker-7" in page.content
    assert admin_client.get("/admin/tasks_app/queuetask/?state__exact=PROCEEDING").status_code == 200
    admin_client.post("/admin/tasks_app/queuetask/", {"action": "cancel", "_selected_action": [head.pk]})
    assert set(QueueTask.objects.values_list("state", flat=True)) == {"CANCEL"} and follower.pk


@pytest.mark.e2e
def test_beat_and_worker_notice_an_expired_lease_within_seconds(processes: Processes, settings: object) -> None:
    processes.worker()
    processes.beat()
    wait_for(lambda: heartbeats.alive("worker") and heartbeats.alive("beat"), timeout=30, message="worker and beat")
    settings.QUEUE_LEASE_SECONDS = 1  # type: ignore[attr-defined]
    task = make(channel="slow")
    assert services.receive_queue_task(channel="slow", wait_seconds=0) is not None
    # The lease ends 1 s from now; the sweep runs every QUEUE_SWEEP_SECONDS (2 s): back well within 5 s.
    wait_for(lambda: QueueTask.objects.filter(pk=task.pk, state="WAITING", retry_count=1).exists(), timeout=1 + 5, message="the sweep")
