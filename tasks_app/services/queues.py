"""Pull-queue tasks: create (idempotent by HashCode, chained by Prior), hand out under a lease,
take reports, retry, cancel. The only writers of QueueTask rows (tasks_app.selectors reads them).

A task is handed out when it is WAITING with a ``ready_at`` (no prior, or its prior succeeded).
Every change of state is one short transaction that also writes the task's history; the Redis
ready queue is told after the commit (``tasks_app.ready_queue``) and rebuilt from the rows by
``repair_ready_queues`` when it drifts. A lease is the pair (id, deliveries): only the delivery
that holds it can be reported, returned or expired."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from tasks_app import ready_queue, scope
from tasks_app.exceptions import Conflict, InvalidInput, NotFound
from tasks_app.models import QueueTask, QueueTaskEvent, QueueTaskState
from tasks_app.models import QueueTaskEventKind as Kind
from tasks_app.models.queues import DEFAULT_RETRY_MAX_LIMIT, FINAL_STATES
from tasks_app.queue_fields import MAX_STORED_INT, checked_channel, checked_hash_code, checked_text

MAX_RETRY_MAX_LIMIT = 100
MAX_CHAIN_LENGTH = 100_000
# A reported task's ``State``: 1 success, 2 failure, 3 retry, 4 cancel.
REPORTS = {1: Kind.SUCCEEDED, 2: Kind.FAILED, 3: Kind.RETRY_REQUESTED, 4: Kind.CANCELLED}

SWEEP_BATCH = 500
SWEEP_MAX_BATCHES = 20
# The ready queues are compared with the database at most this often (a GROUP BY over ready rows).
REPAIR_EVERY_SECONDS = 10

Lease = tuple[int, int]  # task id, delivery


def _event(task: QueueTask, kind: str, now: datetime, note: str = "") -> QueueTaskEvent:
    return QueueTaskEvent(
        task=task, at=now, kind=kind, state=task.state, retry_count=task.retry_count, delivery=task.deliveries, note=note[:500]
    )


def _record(*events: QueueTaskEvent) -> None:
    QueueTaskEvent.objects.bulk_create(events)


def _publish_on_commit(tasks: Iterable[QueueTask]) -> None:
    entries = [(t.channel, t.pk, t.ready_at.timestamp()) for t in tasks if t.ready_at is not None]
    if entries:
        transaction.on_commit(lambda: ready_queue.add(entries))


def _locked(task_id: int) -> QueueTask:
    task = QueueTask.objects.select_for_update().filter(pk=task_id).first() if 0 < task_id <= MAX_STORED_INT else None
    if task is None:
        raise NotFound(f"no task {task_id}", field="ID")
    return task


# --- creating ----------------------------------------------------------------------------------


def create_queue_task(
    *, channel: str, hash_code: str = "", owner: int = 0, input: str = "", prior_id: int = 0, next_id: int = 0, retry_max_limit: int = 0
) -> tuple[QueueTask, bool]:
    """A new task, or the existing one with that HashCode (then ``created`` is False).
    ``retry_max_limit`` 0 is the default (proto3 cannot tell 0 from unset)."""
    _check_new(channel=channel, hash_code=hash_code, owner=owner, input=input, next_id=next_id, retry_max_limit=retry_max_limit)
    scope.current().require_write(channel, field="Channel")
    existing = QueueTask.objects.filter(hash_code=hash_code).first() if hash_code else None
    if existing is not None:
        return existing, False
    fields = {"channel": channel, "owner": owner, "input": input, "retry_max_limit": retry_max_limit or DEFAULT_RETRY_MAX_LIMIT}
    try:
        return _insert(hash_code or uuid.uuid4().hex, prior_id, fields), True
    except IntegrityError:
        existing = QueueTask.objects.filter(hash_code=hash_code).first() if hash_code else None
        if existing is None:
            raise
        return existing, False  # another request created it a moment ago


def _check_new(*, channel: str, hash_code: str, owner: int, input: str, next_id: int, retry_max_limit: int) -> None:
    checked_channel(channel)
    checked_hash_code(hash_code)
    checked_text(input, field="Input")
    if next_id:
        raise InvalidInput("is set by creating the following task with Prior = this task", field="Next")
    if owner > MAX_STORED_INT:
        raise InvalidInput(f"must be at most {MAX_STORED_INT}", field="Owner")
    if retry_max_limit > MAX_RETRY_MAX_LIMIT:
        raise InvalidInput(f"must be at most {MAX_RETRY_MAX_LIMIT}", field="RetryMaxLimit")


@transaction.atomic
def _insert(hash_code: str, prior_id: int, fields: dict) -> QueueTask:
    prior = _prior(prior_id) if prior_id else None
    now = timezone.now()
    task = QueueTask(hash_code=hash_code, prior=prior, **fields)
    if prior is None or prior.state == QueueTaskState.SUCCESS:
        task.ready_at = now
        task.input = task.input or (prior.output if prior else "")
    task.save()
    if prior is not None:
        prior.next = task
        prior.save(update_fields=["next", "updated_at"])
    _record(_event(task, Kind.CREATED, now, note=f"after task {prior_id}" if prior_id else ""))
    _publish_on_commit([task])
    return task


def _prior(prior_id: int) -> QueueTask:
    try:
        prior = _locked(prior_id)
    except NotFound:
        raise NotFound(f"no task {prior_id}", field="Prior") from None
    if prior.next_id is not None:
        raise Conflict(f"task {prior_id} is already followed by task {prior.next_id}", field="Prior")
    if prior.state in (QueueTaskState.FAILURE, QueueTaskState.CANCEL):
        raise Conflict(f"task {prior_id} is {prior.state}: its chain has ended", field="Prior")
    return prior


# --- results (handing out and reports are in queue_handout) --------------------------------------


def _settle(task: QueueTask, state: str) -> None:
    task.state, task.lease_expires_at, task.ready_at = state, None, None


def _succeed(task: QueueTask, now: datetime) -> None:
    _settle(task, QueueTaskState.SUCCESS)
    task.save()
    events = [_event(task, Kind.SUCCEEDED, now)]
    follower = QueueTask.objects.select_for_update().filter(pk=task.next_id).first() if task.next_id else None
    if follower is not None and follower.state == QueueTaskState.WAITING and follower.ready_at is None:
        follower.ready_at = now
        follower.input = follower.input or task.output
        follower.save(update_fields=["ready_at", "input", "updated_at"])
        events.append(_event(follower, Kind.READY, now, note=f"task {task.pk} succeeded"))
        _publish_on_commit([follower])
    _record(*events)


def _end_attempt(task: QueueTask, now: datetime, kind: str, note: str = "") -> None:
    """A delivery ended without success: back to the queue while retries remain, else FAILURE."""
    if task.retry_count < task.retry_max_limit:
        _settle(task, QueueTaskState.WAITING)
        task.retry_count += 1
        task.ready_at = now
        task.save()
        _record(_event(task, kind, now, note=note or f"retry {task.retry_count} of {task.retry_max_limit}"))
        _publish_on_commit([task])
        return
    _settle(task, QueueTaskState.FAILURE)
    task.save()
    _record(_event(task, kind, now, note=note or f"no retries left ({task.retry_max_limit})"))
    if task.next_id:
        _cancel_chain(_locked(task.next_id), now, note=f"task {task.pk} failed")


# --- cancelling --------------------------------------------------------------------------------


@transaction.atomic
def cancel_queue_task(*, task_id: int) -> list[QueueTask]:
    """Cancel a task and the rest of its chain; returns every task cancelled, in chain order."""
    task = _locked(task_id)
    scope.current().require_write(task.channel, field="ID")
    if task.state in FINAL_STATES:
        raise Conflict(f"task {task_id} is already {task.state}", field="ID")
    return _cancel_chain(task, timezone.now(), note="cancelled")


def _cancel_chain(task: QueueTask, now: datetime, *, note: str) -> list[QueueTask]:
    cancelled: list[QueueTask] = []
    current: QueueTask | None = task
    while current is not None and current.state not in FINAL_STATES and len(cancelled) < MAX_CHAIN_LENGTH:
        cancelled.append(current)
        current = QueueTask.objects.select_for_update().filter(pk=current.next_id).first() if current.next_id else None
    unqueued = [(t.channel, t.pk) for t in cancelled if t.ready_at is not None]
    for each in cancelled:
        _settle(each, QueueTaskState.CANCEL)
        each.save()
    _record(*(_event(t, Kind.CANCELLED, now, note=note if t is task else f"{note} (earlier in its chain)") for t in cancelled))
    if unqueued:
        transaction.on_commit(lambda: ready_queue.remove(unqueued))
    return cancelled


# --- leases ------------------------------------------------------------------------------------


def expire_queue_leases(*, now: datetime | None = None, limit: int = SWEEP_BATCH) -> int:
    """Deliveries whose lease ran out end like a failure (the periodic sweep). Returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = list(
            QueueTask.objects.select_for_update(skip_locked=True)
            .filter(state=QueueTaskState.PROCEEDING, lease_expires_at__lt=now)
            .order_by("lease_expires_at")[:limit]
        )
        for task in expired:
            _end_attempt(task, now, Kind.LEASE_EXPIRED)
    return len(expired)


def sweep_queue_tasks(*, now: datetime | None = None) -> int:
    """The periodic sweep: end expired leases; now and then, rebuild drifted ready queues.
    Returns how many leases ended."""
    if ready_queue.take_turn("repair", seconds=REPAIR_EVERY_SECONDS):
        repair_ready_queues()
    ended = 0
    for _ in range(SWEEP_MAX_BATCHES):
        batch = expire_queue_leases(now=now)
        ended += batch
        if batch < SWEEP_BATCH:
            break
    return ended


def return_queue_tasks(*, leases: Iterable[Lease]) -> int:
    """A receive stream that dropped gives back the deliveries it held and nobody reported:
    at once, counted like an expired lease. Returns how many went back (or failed)."""
    returned = 0
    for task_id, delivery in sorted(held_leases(leases=leases)):  # most were reported: one query skips them
        with transaction.atomic():
            task = QueueTask.objects.select_for_update().filter(pk=task_id, state=QueueTaskState.PROCEEDING, deliveries=delivery).first()
            if task is not None:
                _end_attempt(task, timezone.now(), Kind.RETURNED)
                returned += 1
    return returned


def held_leases(*, leases: Iterable[Lease]) -> set[Lease]:
    """Those of ``leases`` that are still held (neither reported nor ended)."""
    wanted = set(leases)
    # Found by primary key alone, the state tested here: see sql.unindexed_test.
    found = QueueTask.objects.filter(pk__in={task_id for task_id, _ in wanted}).values_list("pk", "deliveries", "state")
    return {(pk, deliveries) for pk, deliveries, state in found if state == QueueTaskState.PROCEEDING and (pk, deliveries) in wanted}


def repair_ready_queues() -> int:
    """Rebuild the Redis ready queues from the rows where they hold fewer tasks than the database
    says are ready (Redis restarted or lost a write). Returns how many channels were repaired."""
    ready = QueueTask.objects.filter(state=QueueTaskState.WAITING, ready_at__isnull=False)
    repaired = 0
    for row in ready.values("channel").annotate(count=Count("id")).order_by():
        if ready_queue.size(row["channel"]) < row["count"]:
            rows = ready.filter(channel=row["channel"]).values_list("pk", "ready_at").iterator(chunk_size=2000)
            ready_queue.add(((row["channel"], pk, at.timestamp()) for pk, at in rows if at is not None), only_missing=True)
            repaired += 1
    return repaired
