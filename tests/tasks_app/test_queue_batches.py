"""Creations, claims and reports made as batches (as the gRPC server's group commit makes them):
each item gets the result it would get on its own, one bad item fails only itself, and a
batch's statements do not grow with its size."""

from __future__ import annotations

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks_app import ready_queue, services
from tasks_app.exceptions import Conflict, Forbidden, InvalidInput, NotFound
from tasks_app.models import QueueTask, QueueTaskEvent
from tasks_app.scope import Scope
from tasks_app.services.queue_creation import NewTask, create_queue_tasks
from tasks_app.services.queue_handout import ClaimRequest, Report, claim_queue_tasks, report_queue_tasks

SUCCESS, FAILURE, RETRY, CANCEL = 1, 2, 3, 4


@pytest.fixture
def queues(transactional_db: None, redis_client: redis.Redis) -> redis.Redis:
    return redis_client


def make(count: int, channel: str = "work", **fields: object) -> list[QueueTask]:
    created = create_queue_tasks([NewTask(channel=channel, **fields) for _ in range(count)])  # type: ignore[arg-type]
    return [result[0] for result in created]  # type: ignore[index]


def kinds(task: QueueTask) -> list[str]:
    return list(QueueTaskEvent.objects.filter(task=task).order_by("id").values_list("kind", flat=True))


def test_a_creation_batch_keeps_hashcode_idempotency_and_chains(queues: redis.Redis) -> None:
    (earlier,) = make(1, hash_code="known")
    results = create_queue_tasks(
        [NewTask("work", hash_code="known"), NewTask("work", hash_code="twice"), NewTask("work", hash_code="twice"),
         NewTask("", input="no channel"), NewTask("work", prior_id=earlier.pk), NewTask("work", prior_id=10**9)]
    )  # fmt: skip
    known, first, second, invalid, chained, orphan = results
    assert known == (earlier, False)
    assert first[1] is True and second == (first[0], False)  # type: ignore[index]
    assert isinstance(invalid, InvalidInput) and isinstance(orphan, NotFound)
    assert chained[1] is True and QueueTask.objects.get(pk=earlier.pk).next_id == chained[0].pk  # type: ignore[index]
    assert QueueTask.objects.count() == 3 and ready_queue.size("work") == 2  # the chained one waits for its prior


def test_a_claim_batch_hands_each_ready_task_out_once(queues: redis.Redis) -> None:
    ready, taken = make(2)
    claim_queue_tasks([ClaimRequest(taken.pk)])
    results = claim_queue_tasks([ClaimRequest(ready.pk, "w1"), ClaimRequest(ready.pk, "w2"), ClaimRequest(taken.pk), ClaimRequest(10**9)])
    assert [task.pk if task else None for task in results] == [ready.pk, None, None, None]
    assert (results[0].state, results[0].deliveries, results[0].input) == ("PROCEEDING", 1, "")  # type: ignore[union-attr]
    assert kinds(ready) == ["created", "handed_out"] and kinds(taken) == ["created", "handed_out"]


def test_a_report_batch_settles_each_task_as_alone(queues: redis.Redis) -> None:
    done, retried, spent, chained_head, settled = make(5)
    follower = create_queue_tasks([NewTask("work", prior_id=chained_head.pk)])[0][0]  # type: ignore[index]
    QueueTask.objects.filter(pk=spent.pk).update(retry_count=3)
    claim_queue_tasks([ClaimRequest(t.pk) for t in (done, retried, spent, chained_head, settled)])
    report_queue_tasks([Report(settled.pk, SUCCESS)])
    results = report_queue_tasks(
        [Report(done.pk, SUCCESS, "out"), Report(done.pk, SUCCESS), Report(retried.pk, RETRY), Report(spent.pk, FAILURE),
         Report(chained_head.pk, SUCCESS, "passed on"), Report(settled.pk, SUCCESS), Report(done.pk, 9), Report(10**9, SUCCESS)]
    )  # fmt: skip
    assert [type(r).__name__ for r in results] == [
        "QueueTask",
        "Conflict",
        "QueueTask",
        "QueueTask",
        "QueueTask",
        "Conflict",
        "InvalidInput",
        "NotFound",
    ]
    states = dict(QueueTask.objects.values_list("pk", "state"))
    assert [states[t.pk] for t in (done, retried, spent, chained_head, follower)] == ["SUCCESS", "WAITING", "FAILURE", "SUCCESS", "WAITING"]
    assert QueueTask.objects.get(pk=done.pk).output == "out" and QueueTask.objects.get(pk=retried.pk).retry_count == 1
    assert QueueTask.objects.get(pk=follower.pk).input == "passed on"
    assert kinds(retried)[-1] == "retry_requested" and kinds(spent)[-1] == "failed"
    assert {services.receive_queue_task(channel="work", wait_seconds=0).pk for _ in range(2)} == {retried.pk, follower.pk}  # type: ignore[union-attr]
    assert isinstance(results[1], Conflict)


def statements(size: int, channel: str) -> list[int]:
    """Statements a claim batch, a report batch and a creation batch of ``size`` tasks sent
    through Django (SQLite sends them all there; PostgreSQL's hand-written ones bypass it)."""
    tasks = make(size, channel=channel)
    with CaptureQueriesContext(connection) as claims:
        claim_queue_tasks([ClaimRequest(task.pk) for task in tasks])
    with CaptureQueriesContext(connection) as reports:
        report_queue_tasks([Report(task.pk, SUCCESS) for task in tasks])
    with CaptureQueriesContext(connection) as creations:
        make(size, channel=f"{channel}-again")
    assert QueueTask.objects.filter(channel=channel, state="SUCCESS").count() == size
    return [len([q for q in c.captured_queries if not q["sql"].startswith(("BEGIN", "COMMIT"))]) for c in (claims, reports, creations)]


def test_a_batch_costs_the_same_statements_whatever_its_size(queues: redis.Redis) -> None:
    one, fifty = statements(1, "one"), statements(50, "fifty")
    assert one == fifty
    if (
        connection.vendor == "sqlite"
    ):  # claims: UPDATE … RETURNING, INSERT; reports: SELECT … FOR UPDATE, UPDATE, INSERT; creations: INSERT, INSERT
        assert one == [2, 3, 2]


def test_each_item_of_a_batch_is_checked_against_its_own_callers_scope(queues: redis.Redis) -> None:
    billing = Scope(patterns=("billing",), holder="the billing token")
    mine, theirs = make(1, channel="billing")[0], make(1, channel="payroll")[0]
    claim_queue_tasks([ClaimRequest(mine.pk), ClaimRequest(theirs.pk)])
    reported = report_queue_tasks([Report(mine.pk, SUCCESS, scope=billing), Report(theirs.pk, SUCCESS, scope=billing)])
    assert isinstance(reported[0], QueueTask) and isinstance(reported[1], NotFound)  # another tenant's task is not found
    created = create_queue_tasks([NewTask("billing", scope=billing), NewTask("payroll", scope=billing), NewTask("payroll", hash_code="x")])
    assert isinstance(created[0], tuple) and isinstance(created[1], Forbidden) and isinstance(created[2], tuple)
    assert isinstance(
        create_queue_tasks([NewTask("billing", hash_code="x", scope=billing), NewTask("billing", scope=billing)])[0], Conflict
    )
