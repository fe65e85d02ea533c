"""An attempt's lifecycle, from claim to record, in the order it happens.

Beat writes an attempt queued (tasks_app.services.firing) and sends it to a worker a moment
before it is due (tasks_app.tasks.send_executions); the worker's task hands it here:

1. claimed: queued -> running (``claims``), with a deadline past which beat's sweep counts it
   lost and queues it again. Attempts that start together are claimed in one batch.
2. waits for its due time on the runtime's start timer, holding no callback thread.
3. called: its callback, within its target's concurrency limit (tasks_app.host_limits). A
   target with no free slot defers it: back to queued, due again in about a second.
4. recorded: its outcome and its task's TaskResult (``task_results``); outcomes that end
   together are written in one transaction. A pending outcome awaits the callee's report.
5. next: its retry, queued in the database when the job's policy allows one (retries wait in
   the database, never in the broker), and the attempt a "queue one" job held behind it made due.

Each task waits for its own writes, so it is acknowledged only once they are committed.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from tasks_app import clock, host_limits, sql
from tasks_app import redis as platform_redis
from tasks_app.attempts.claims import (
    Claimed,
    ClaimRequest,
    Deferral,
    GiveBack,
    claim_is_fresh,
    claim_many,
    claim_seconds,
    defer_many,
    extend_claim,
    held_by_their_claims,
    seconds_until_start,
)
from tasks_app.attempts.ended import Ended, attempts_ended
from tasks_app.attempts.task_results import TaskRecord, settle_task_result, store_task_results, task_result
from tasks_app.callbacks import Callback, CallContext, Outcome
from tasks_app.egress import Transport
from tasks_app.models import Execution, ExecutionReason, ExecutionStatus, Job, OverlapPolicy
from tasks_app.outages import retry_database
from tasks_app.retry import RetryPolicy

if TYPE_CHECKING:
    from tasks_app.worker.runtime import Runtime

logger = logging.getLogger(__name__)
T = TypeVar("T")
# How long an attempt's writes wait for a database that is down before the task fails (its
# attempt is then recovered from the database as any lost one is).
DATABASE_WAIT_SECONDS = 600.0
# What an attempt's outcome writes on its Execution (the task id too: the claim leaves it out).
OUTCOME_FIELDS = [
    "status", "started_at", "finished_at", "awaiting_report", "request", "response_status", "response_headers", "response_body",
    "error", "task_id",
]  # fmt: skip
# The due time of an attempt held back by the "queue one" overlap policy until the run before
# it finishes (see release_held_attempt).
HELD = datetime(9999, 1, 1, tzinfo=UTC)


def run_execution(*, execution_id: int, task: TaskRecord, runtime: Runtime) -> dict[str, Any]:
    """Make one attempt for ``task`` (the Celery task running it, whose TaskResult is written
    with the outcome, in one transaction); returns the summary that TaskResult stores. Its
    writes are made on the calling thread, batched with those of the process's other task
    threads."""
    claimed = _waiting(lambda: runtime.commit(claim_many, ClaimRequest(execution_id, task.task_id)))
    time.sleep(_seconds_until_start(claimed))
    return _attempt(execution_id, claimed, task, runtime, None)


def run_executions(*, execution_ids: list[int], tasks: list[TaskRecord], runtime: Runtime) -> list[dict[str, Any]]:
    """Several attempts side by side, each on a callback thread of the runtime. All are claimed
    in one batch as the message arrives, so a worker killed mid-message leaves only running
    attempts, which the sweep queues again after their deadline. Their claims and records go to
    the runtime's database thread, which writes those that arrive together in one transaction.
    Returns when all have ended."""
    writer = runtime.database
    requests = [ClaimRequest(pk, task.task_id) for pk, task in zip(execution_ids, tasks, strict=True)]
    claims = _waiting(lambda: writer.submit(claim_many, requests).result())
    futures = [
        runtime.start_timer.submit_in(_seconds_until_start(claimed), _attempt, pk, claimed, task, runtime, writer)
        for pk, claimed, task in zip(execution_ids, claims, tasks, strict=True)
    ]
    return [future.result() for future in futures]


def _seconds_until_start(claimed: Claimed | Exception | None) -> float:
    """A claimed attempt's call starts at its due time (it arrived a moment early)."""
    return seconds_until_start(claimed[0]) if isinstance(claimed, tuple) else 0.0


def _attempt(
    execution_id: int, claimed: Claimed | Exception | None, task: TaskRecord, runtime: Runtime, writer: Executor | None
) -> dict[str, Any]:
    """Call and record an attempt claimed for ``task`` (None: it was not queued). ``writer``:
    the thread that makes its writes (None: this one)."""
    if isinstance(claimed, Exception):
        raise claimed
    if claimed is not None:
        execution, callback = claimed
        if claim_is_fresh(execution, callback) or _write_on(writer, extend_claim, execution, callback):
            return _call_and_record(execution, callback, task, runtime, writer)
    summary = {"execution": execution_id, "status": "not-queued"}
    _write_on(writer, store_task_results, [task_result(task, summary, started_at=None)], replace=False)
    return summary


def _call_and_record(
    execution: Execution, callback: Callback, task: TaskRecord, runtime: Runtime, writer: Executor | None
) -> dict[str, Any]:
    slot = host_limits.slot_for(callback, lease_seconds=claim_seconds(callback))
    if isinstance(slot, host_limits.Full):
        return _write_on(writer, _deferred, execution, task, slot, runtime)
    try:
        # The claim set started_at to the planned start; what is recorded is when the call began.
        execution.started_at, began = clock.cached_now(), time.monotonic()
        outcome = _call(execution, callback, runtime.transport)
        seconds = time.monotonic() - began
    finally:
        slot.release()
    # Once called, the outcome is recorded however long the database takes to come back:
    # giving up would have the call made again once the attempt counts as lost.
    _waiting(lambda: runtime.commit(record_many, Record(execution, outcome, task, seconds), on=writer))
    return _summary(execution, outcome)


def _deferred(execution: Execution, task: TaskRecord, full: host_limits.Full, runtime: Runtime) -> dict[str, Any]:
    """No free slot at the callback's target: the attempt goes back to the queue, due again a
    jittered moment later. It called nothing, so it is neither a failure nor an attempt."""
    note = f"deferred: {full.running} calls to {full.scope} already running"
    summary = {"execution": execution.pk, "status": "deferred", "response_status": None, "error": note}
    result = task_result(task, summary, started_at=execution.started_at)
    due_at = clock.now() + timedelta(seconds=settings.CALLBACK_HOST_LIMIT_DEFER_SECONDS * random.uniform(0.5, 1.5))
    runtime.commit(defer_many, Deferral(GiveBack(execution, due_at, note), result))
    return summary


def _call(execution: Execution, callback: Callback, transport: Transport) -> Outcome:
    namespace = execution.job.namespace if execution.job is not None else ""
    context = CallContext(execution.pk, execution.job_id or 0, execution.attempt, execution.scheduled_for, namespace, transport=transport)
    try:
        return callback.call(context)
    except Exception as error:  # a bug in a callback kind must still end the attempt
        logger.exception("callback of %s raised", execution)
        return Outcome(succeeded=False, request={}, error=f"{type(error).__name__}: {error}", retryable=False)


@dataclass(frozen=True)
class Record:
    """An attempt's outcome, to be recorded with its task's TaskResult."""

    execution: Execution
    outcome: Outcome
    task: TaskRecord
    call_seconds: float | None = None


def record_many(records: Sequence[Record]) -> list[None]:
    """Outcomes that end together: one transaction, one round trip of UPDATEs, one INSERT of
    TaskResults. A pending outcome goes through record_outcome (its rules are its own)."""
    now = timezone.now()
    with transaction.atomic():
        held = _still_held(records)
        for record in held:
            if record.outcome.pending:
                record_outcome(execution=record.execution, outcome=record.outcome, task=record.task, now=now)
        _write_outcomes([r for r in held if not r.outcome.pending], now)
    return [None] * len(records)


def _still_held(records: Sequence[Record]) -> list[Record]:
    """The records whose attempt is still held by the claim that made the call, their rows
    locked until the outcome is written. A superseded holder's late outcome is dropped: the
    attempt belongs to its new holder now."""
    held = held_by_their_claims([r.execution for r in records])
    for record, holds in zip(records, held, strict=True):
        if not holds:
            logger.warning("dropped the late outcome of %s: its claim was superseded (the attempt was recovered)", record.execution)
    return [record for record, holds in zip(records, held, strict=True) if holds]


def _write_outcomes(records: Sequence[Record], now: datetime) -> None:
    if not records:
        return
    for record in records:
        _apply(record.execution, record.outcome, now)
    sql.update_each([r.execution for r in records], OUTCOME_FIELDS)
    store_task_results([task_result(r.task, _summary(r.execution, r.outcome), started_at=r.execution.started_at) for r in records])
    for record in records:
        _follow_up(record.execution, record.outcome, now)
    attempts_ended([Ended(r.execution, r.call_seconds) for r in records])


@transaction.atomic
def record_outcome(*, execution: Execution, outcome: Outcome, now: datetime | None = None, task: TaskRecord | None = None) -> None:
    """Write an attempt's outcome, its TaskResult when ``task`` is given, and its retry when the
    policy allows one. A pending outcome keeps the attempt running, awaiting the callee's report
    until its deadline."""
    now = now or timezone.now()
    if task is not None:
        execution.task_id = task.task_id
    reported = _reported_status(execution) if outcome.pending else None
    if reported is not None:
        details = {"request": outcome.request, "response_status": outcome.response_status, "response_headers": outcome.response_headers}
        Execution.objects.filter(pk=execution.pk).update(**details, task_id=execution.task_id, started_at=execution.started_at)
        summary = {"execution": execution.pk, "status": reported, "response_status": outcome.response_status}
    else:
        _apply(execution, outcome, now)
        execution.save(update_fields=[*OUTCOME_FIELDS, "deadline_at"])
        summary = _summary(execution, outcome)
    if task is not None:  # the TaskResult takes the attempt's state as now recorded
        store_task_results([task_result(task, summary, started_at=execution.started_at)])
    elif not outcome.pending:
        settle_task_result(execution.task_id, summary)
    if reported is None:
        _follow_up(execution, outcome, now)
        attempts_ended([Ended(execution)])


def _reported_status(execution: Execution) -> str | None:
    """A callee may report (complete_pending) before its "accepted, report later" answer is
    recorded; then the report stands and only the call's own details are added to it. The
    status it reported, or None when it has not."""
    status = Execution.objects.select_for_update().filter(pk=execution.pk).values_list("status", flat=True).first()
    return None if status == ExecutionStatus.RUNNING else status


def _apply(execution: Execution, outcome: Outcome, now: datetime) -> None:
    if outcome.pending:
        _await_report(execution, outcome, now)
    else:
        execution.status = ExecutionStatus.SUCCEEDED if outcome.succeeded else ExecutionStatus.FAILED
        execution.finished_at = now
        execution.awaiting_report = False
    execution.request = outcome.request
    execution.response_status = outcome.response_status
    execution.response_headers = outcome.response_headers
    execution.response_body = outcome.response_body
    execution.error = outcome.error


def _await_report(execution: Execution, outcome: Outcome, now: datetime) -> None:
    execution.status = ExecutionStatus.RUNNING
    execution.awaiting_report = True
    within = outcome.report_within_seconds or settings.CALLBACK_MAX_TIMEOUT_SECONDS
    execution.deadline_at = now + timedelta(seconds=within)


def _summary(execution: Execution, outcome: Outcome) -> dict[str, Any]:
    summary = {"execution": execution.pk, "status": execution.status, "response_status": outcome.response_status}
    return summary | {"error": outcome.error} if execution.status == ExecutionStatus.FAILED else summary


def _follow_up(execution: Execution, outcome: Outcome, now: datetime) -> None:
    """What ends with an attempt: the attempt held behind it, and its retry."""
    if not outcome.pending:
        release_held_attempt(execution)
    delay = _retry_delay(execution.job, execution, outcome) if execution.job else None
    if delay is not None:
        queue_attempt(execution, attempt=execution.attempt + 1, due_at=now + timedelta(seconds=delay), reason=ExecutionReason.RETRY)


def _retry_delay(job: Job, execution: Execution, outcome: Outcome) -> float | None:
    if outcome.succeeded or outcome.pending or not outcome.retryable:
        return None
    delay = RetryPolicy.from_json(job.retry).delay_before(execution.attempt + 1)
    if delay is None:
        return None
    return max(delay, outcome.retry_after_seconds or 0)


def queue_attempt(execution: Execution, *, attempt: int, due_at: datetime, reason: str) -> Execution:
    """Another attempt of ``execution``'s occurrence, queued for ``due_at``; beat is woken for it
    once the transaction commits."""
    retry = Execution.objects.create(
        job_id=execution.job_id,
        scheduled_for=execution.scheduled_for,
        attempt=attempt,
        reason=reason,
        due_at=due_at,
        priority=execution.priority,
    )
    transaction.on_commit(lambda: platform_redis.wake_scheduler(due_at.timestamp()))
    return retry


def release_held_attempt(execution: Execution) -> None:
    """When a run of a "queue one" job ends, the attempt held behind it becomes due."""
    if execution.job_id is not None and execution.job and execution.job.overlap_policy == OverlapPolicy.QUEUE:
        _held_attempts(job_id=execution.job_id).update(due_at=clock.now())


def release_held_attempts(job_ids: set[int], now: datetime) -> None:
    """``release_held_attempt`` for runs of these jobs that ended together (those that are
    "queue one" jobs)."""
    _held_attempts(job_id__in=job_ids, job__overlap_policy=OverlapPolicy.QUEUE).update(due_at=now)


def _held_attempts(**where: Any) -> QuerySet[Execution]:
    return Execution.objects.filter(status=ExecutionStatus.QUEUED, due_at=HELD, **where)


def _write_on(writer: Executor | None, write: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return _waiting(lambda: write(*args, **kwargs) if writer is None else writer.submit(write, *args, **kwargs).result())


def _waiting(write: Callable[[], T]) -> T:
    """``write()``, waiting out a database outage (a broken connection is replaced on the way)
    rather than failing the attempt: its message stays unacknowledged meanwhile."""
    return retry_database(write, for_seconds=DATABASE_WAIT_SECONDS)
