"""Pull-queue tasks read by id, HashCode, owner and channel, with the keys checked as on writes."""

from __future__ import annotations

import pytest
import redis

from tasks_app import selectors, services
from tasks_app.exceptions import InvalidInput, NotFound
from tasks_app.queue_fields import MAX_STORED_INT


@pytest.fixture
def queues(transactional_db: None, redis_client: redis.Redis) -> None:
    return None


def test_a_task_is_found_by_id_and_by_hash_code(queues: None) -> None:
    task, _ = services.create_queue_task(channel="work", hash_code="h-1")
    assert selectors.queue_task(task_id=task.pk) == task
    assert selectors.queue_task_by_hash_code(hash_code="h-1") == task
    with pytest.raises(NotFound):
        selectors.queue_task(task_id=MAX_STORED_INT + 1)  # no row can hold it: not found, not a database error
    with pytest.raises(NotFound):
        selectors.queue_task_by_hash_code(hash_code="h-2")
    with pytest.raises(InvalidInput):
        selectors.queue_task_by_hash_code(hash_code="x" * 129)


def test_an_owners_tasks_come_oldest_first(queues: None) -> None:
    first, _ = services.create_queue_task(channel="work", owner=7)
    second, _ = services.create_queue_task(channel="other", owner=7)
    services.create_queue_task(channel="work", owner=8)
    assert list(selectors.queue_tasks_of_owner(owner=7)) == [first, second]
    assert list(selectors.queue_tasks_of_owner(owner=MAX_STORED_INT + 1)) == []


def test_a_channels_length_counts_its_ready_tasks(queues: None) -> None:
    services.create_queue_task(channel="work")
    services.create_queue_task(channel="work")
    assert selectors.queue_length(channel="work") == 2
    with pytest.raises(InvalidInput):
        selectors.queue_length(channel="")
