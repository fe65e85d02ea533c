"""Running attempts: claim one (queued -> running), call its callback, record the outcome with its
TaskResult, and queue the retry its job's policy allows. Retries wait in the database, never in
the broker.

A worker running many attempts at once (threads, gevent) claims and records them in batches:
attempts that start together are claimed by one SELECT and one UPDATE, outcomes that arrive
together are written in one transaction (see group_commit). Each task still waits for its own
writes, so it is acknowledged only once they are committed.

Beat sends attempts a moment before they are due: the claim happens on arrival, the call waits
until the due time (start_timer), so neither the broker nor the claim makes a fire late.

A target with a concurrency limit (tasks_app.host_limits) that has no free slot defers the
attempt: it goes back to the queue for about a second, with the same attempt number."""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django_celery_results.models import TaskResult

from tasks_app import clock, host_limits, scope, sql
from tasks_app import redis as platform_redis
from tasks_app.callbacks import Callback, CallContext, Outcome
from tasks_app.exceptions import InvalidInput, NotFound
from tasks_app.models import Execution, ExecutionReason, ExecutionStatus, Job
from tasks_app.outages import retry_database
from tasks_app.retry import RetryPolicy
from tasks_app.services import audit
from tasks_app.services.claims import (
    Claimed,
    ClaimRequest,
    GiveBack,
    claim_is_fresh,
    claim_many,
    claim_seconds,
    extend_claim,
    give_back_many,
    seconds_until_start,
)
from tasks_app.services.ended import Ended, attempts_ended
from tasks_app.services.firing import release_held_attempt
from tasks_app.services.group_commit import GroupCommit
from tasks_app.services.start_timer import StartTimer
from tasks_app.services.task_results import TaskRecord, settle_task_result, store_task_results, task_result

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


@dataclass(frozen=True)
class _Record:
    execution: Execution
    outcome: Outcome
    task: TaskRecord
    call_seconds: float | None = None


def _record_many(records: Sequence[_Record]) -> list[None]:
    """Outcomes that end together: one transaction, one round trip of UPDATEs, one INSERT of
    TaskResults. A pending outcome goes through record_outcome (its rules are its own)."""
    now = timezone.now()
    with transaction.atomic():
        held = still_held(records)
        for record in held:
            if record.outcome.pending:
                record_outcome(execution=record.execution, outcome=record.outcome, task=record.task, now=now)
        _write_outcomes([r for r in held if not r.outcome.pending], now)
    return [None] * len(records)


def still_held(records: Sequence[_Record]) -> list[_Record]:
    """The records whose attempt is still held by the claim that made the call: its row still
    has the deadline that claim wrote (recovery clears it, the next claim writes another; a
    callee's early report keeps it). The rows stay locked until the outcome is written, so the
    sweep cannot take them meanwhile. A superseded holder's late outcome is dropped: the attempt
    belongs to its new holder now."""
    if not records:
        return []
    table = sql.quote(Execution._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    statement = f"SELECT id, deadline_at FROM {table} WHERE id IN ({sql.placeholders(len(records))}){lock}"
    fields = [sql.field(Execution, "id"), sql.field(Execution, "deadline_at")]
    held = dict(sql.select(statement, [r.execution.pk for r in records], fields))
    current = [r for r in records if r.execution.pk in held and held[r.execution.pk] == r.execution.deadline_at]
    if len(current) < len(records):
        kept = {id(record) for record in current}
        for record in (r for r in records if id(r) not in kept):
            logger.warning("dropped the late outcome of %s: its claim was superseded (the attempt was recovered)", record.execution)
    return current


def _write_outcomes(records: Sequence[_Record], now: datetime) -> None:
    if not records:
        return
    for record in records:
        _apply(record.execution, record.outcome, now)
    sql.update_each([r.execution for r in records], OUTCOME_FIELDS)
    store_task_results([task_result(r.task, _summary(r.execution, r.outcome), started_at=r.execution.started_at) for r in records])
    for record in records:
        _follow_up(record.execution, record.outcome, now)
    attempts_ended([Ended(r.execution, r.call_seconds) for r in records])


@dataclass(frozen=True)
class _Deferral:
    give_back: GiveBack
    task_result: TaskResult


def _defer_many(deferrals: Sequence[_Deferral]) -> list[None]:
    """Attempts deferred together: given back, with their tasks' TaskResults, in one transaction."""
    with transaction.atomic():
        give_back_many([d.give_back for d in deferrals])
        store_task_results([d.task_result for d in deferrals])
    platform_redis.wake_scheduler(min(d.give_back.due_at for d in deferrals).timestamp())
    return [None] * len(deferrals)


# Each worker process batches the claims, the records and the deferrals of the attempts its threads run.
_claim = GroupCommit(claim_many)
_record = GroupCommit(_record_many)
_defer = GroupCommit(_defer_many)


def run_execution(
    *, execution_id: int, task_id: str = "", task: TaskRecord | None = None, writer: Executor | None = None
) -> dict[str, Any]:
    """Make one attempt. ``task`` (the Celery task running it) gets its TaskResult written with
    the outcome, in one transaction; the summary returned is that TaskResult's result. The
    database writes happen on ``writer`` when given (the process's database thread), else on
    the calling thread."""
    task = task or TaskRecord(task_id)
    claimed = _waiting(lambda: _claim(ClaimRequest(execution_id, task.task_id), on=writer))
    time.sleep(_seconds_until_start(claimed))
    return _attempt(execution_id, claimed, task, writer)


def run_executions(*, execution_ids: list[int], tasks: list[TaskRecord]) -> list[dict[str, Any]]:
    """Several attempts side by side, each on a callback thread of this worker process. All are
    claimed in one batch as the message arrives, so a worker killed mid-message leaves only
    running attempts, which the sweep queues again after their deadline. Their claims and records
    go to the process's database thread, which writes those that arrive together in one
    transaction: one database connection per process, however many threads call. Returns when
    all have ended."""
    timer = _process_pool("timer", lambda: StartTimer(_process_pool("callback", _callback_threads)))
    writer = _process_pool("database", _DatabaseThread)
    requests = [ClaimRequest(pk, task.task_id) for pk, task in zip(execution_ids, tasks, strict=True)]
    claims = _waiting(lambda: writer.submit(claim_many, requests).result())
    futures = [
        timer.submit_in(_seconds_until_start(claimed), _attempt, pk, claimed, task, writer)
        for pk, claimed, task in zip(execution_ids, claims, tasks, strict=True)
    ]
    return [future.result() for future in futures]


def _seconds_until_start(claimed: Claimed | Exception | None) -> float:
    """A claimed attempt's call starts at its due time (it arrived a moment early)."""
    return seconds_until_start(claimed[0]) if isinstance(claimed, tuple) else 0.0


def _attempt(execution_id: int, claimed: Claimed | Exception | None, task: TaskRecord, writer: Executor | None) -> dict[str, Any]:
    """Call and record an attempt claimed for ``task`` (None: it was not queued)."""
    if isinstance(claimed, Exception):
        raise claimed
    if claimed is not None:
        execution, callback = claimed
        if claim_is_fresh(execution, callback) or _write_on(writer, extend_claim, execution, callback):
            return _call_and_record(execution, callback, task, writer)
    summary = {"execution": execution_id, "status": "not-queued"}
    _write_on(writer, store_task_results, [task_result(task, summary, started_at=None)], replace=False)
    return summary


def _call_and_record(execution: Execution, callback: Callback, task: TaskRecord, writer: Executor | None) -> dict[str, Any]:
    slot = host_limits.slot_for(callback, lease_seconds=claim_seconds(callback))
    if isinstance(slot, host_limits.Full):
        return _write_on(writer, _deferred, execution, task, slot)
    try:
        # The claim set started_at to the planned start; what is recorded is when the call began.
        execution.started_at, began = clock.cached_now(), time.monotonic()
        outcome = _call(execution, callback)
        seconds = time.monotonic() - began
    finally:
        slot.release()
    # Once called, the outcome is recorded however long the database takes to come back:
    # giving up would have the call made again once the attempt counts as lost.
    _waiting(lambda: _record(_Record(execution, outcome, task, seconds), on=writer))
    return _summary(execution, outcome)


def _write_on(writer: Executor | None, write: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return _waiting(lambda: write(*args, **kwargs) if writer is None else writer.submit(write, *args, **kwargs).result())


def _waiting(write: Callable[[], T]) -> T:
    """``write()``, waiting out a database outage (a broken connection is replaced on the way)
    rather than failing the attempt: its message stays unacknowledged meanwhile."""
    return retry_database(write, for_seconds=DATABASE_WAIT_SECONDS)


def _callback_threads() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(settings.WORKER_CALLBACK_THREADS, thread_name_prefix="callback")


class _DatabaseThread(ThreadPoolExecutor):
    """One thread that makes a worker process's writes. Before each, it drops a connection the
    database broke, as Celery does for its own pool's threads before each task."""

    def __init__(self) -> None:
        super().__init__(1, thread_name_prefix="database")

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        def checked() -> T:
            close_old_connections()
            return fn(*args, **kwargs)

        return super().submit(checked)


_pools: dict[str, tuple[int, Any]] = {}
P = TypeVar("P")


def _process_pool(name: str, make: Callable[[], P]) -> P:
    """This process's pool ``name``, made on first use (so after a prefork pool forked)."""
    made = _pools.get(name)
    if made is None or made[0] != os.getpid():
        made = _pools[name] = (os.getpid(), make())
    return made[1]


def _deferred(execution: Execution, task: TaskRecord, full: host_limits.Full) -> dict[str, Any]:
    """No free slot at the callback's target: the attempt goes back to the queue, due again a
    jittered moment later. It called nothing, so it is neither a failure nor an attempt."""
    note = f"deferred: {full.running} calls to {full.scope} already running"
    summary = {"execution": execution.pk, "status": "deferred", "response_status": None, "error": note}
    result = task_result(task, summary, started_at=execution.started_at)
    due_at = clock.now() + timedelta(seconds=settings.CALLBACK_HOST_LIMIT_DEFER_SECONDS * random.uniform(0.5, 1.5))
    _defer(_Deferral(GiveBack(execution, due_at, note), result))
    return summary


def _call(execution: Execution, callback: Callback) -> Outcome:
    namespace = execution.job.namespace if execution.job is not None else ""
    context = CallContext(execution.pk, execution.job_id or 0, execution.attempt, execution.scheduled_for, namespace)
    try:
        return callback.call(context)
    except Exception as error:  # a bug in a callback kind must still end the attempt
        logger.exception("callback of %s raised", execution)
        return Outcome(succeeded=False, request={}, error=f"{type(error).__name__}: {error}", retryable=False)


def _summary(execution: Execution, outcome: Outcome) -> dict[str, Any]:
    summary = {"execution": execution.pk, "status": execution.status, "response_status": outcome.response_status}
    return summary | {"error": outcome.error} if execution.status == ExecutionStatus.FAILED else summary


def _retry_delay(job: Job, execution: Execution, outcome: Outcome) -> float | None:
    if outcome.succeeded or outcome.pending or not outcome.retryable:
        return None
    delay = RetryPolicy.from_json(job.retry).delay_before(execution.attempt + 1)
    if delay is None:
        return None
    return max(delay, outcome.retry_after_seconds or 0)


def _reported_status(execution: Execution) -> str | None:
    """A callee may report (complete_pending) before its "accepted, report later" answer is
    recorded; then the report stands and only the call's own details are added to it. The
    status it reported, or None when it has not."""
    status = Execution.objects.select_for_update().filter(pk=execution.pk).values_list("status", flat=True).first()
    return None if status == ExecutionStatus.RUNNING else status


def _await_report(execution: Execution, outcome: Outcome, now: datetime) -> None:
    execution.status = ExecutionStatus.RUNNING
    execution.awaiting_report = True
    within = outcome.report_within_seconds or settings.CALLBACK_MAX_TIMEOUT_SECONDS
    execution.deadline_at = now + timedelta(seconds=within)


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


def _follow_up(execution: Execution, outcome: Outcome, now: datetime) -> None:
    """What ends with an attempt: the attempt held behind it, and its retry."""
    if not outcome.pending:
        release_held_attempt(execution)
    delay = _retry_delay(execution.job, execution, outcome) if execution.job else None
    if delay is not None:
        _queue_attempt(execution, attempt=execution.attempt + 1, due_at=now + timedelta(seconds=delay), reason=ExecutionReason.RETRY)


def _queue_attempt(execution: Execution, *, attempt: int, due_at: datetime, reason: str) -> Execution:
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


def retry_execution(*, execution: Execution) -> Execution:
    """An operator's retry of a finished attempt: one more attempt of the same occurrence, now."""
    if execution.status not in (ExecutionStatus.FAILED, ExecutionStatus.SUCCEEDED, ExecutionStatus.SKIPPED):
        raise InvalidInput(f"execution {execution.pk} is {execution.status}; only a finished one can be retried", field="status")
    if execution.job_id is None or execution.job is None:
        raise InvalidInput("its job was deleted", field="job")
    scope.current().require_write(execution.job.namespace, field="job")
    with transaction.atomic():
        latest = (
            Execution.objects.filter(job_id=execution.job_id, scheduled_for=execution.scheduled_for)
            .order_by("-attempt").values_list("attempt", flat=True).first()
        )  # fmt: skip
        retry = _queue_attempt(execution, attempt=(latest or 0) + 1, due_at=timezone.now(), reason=ExecutionReason.MANUAL)
        job = execution.job
        audit.record(
            action="retry", object_type="job", object_id=execution.job_id, namespace=job.namespace if job else "",
            changes={"execution": [execution.pk, retry.pk]}, label=str(job),
        )  # fmt: skip
        return retry


def complete_pending(*, execution_id: int, succeeded: bool, response_body: str = "") -> Execution:
    """A callee that answered 'pending' reports the outcome of its attempt later."""
    with transaction.atomic():
        execution = Execution.objects.select_for_update(of=("self",)).select_related("job").filter(pk=execution_id).first()
        if execution is None:
            raise NotFound(f"no execution {execution_id}", field="id")
        scope.current().require_write(execution.job.namespace if execution.job else "", field="id")
        if execution.status != ExecutionStatus.RUNNING:
            raise InvalidInput(f"execution {execution_id} is already {execution.status}", field="id")
        outcome = Outcome(
            succeeded=succeeded, request=execution.request, response_status=execution.response_status,
            response_headers=execution.response_headers, response_body=response_body,
            error="" if succeeded else "reported as failed",
        )  # fmt: skip
        record_outcome(execution=execution, outcome=outcome)
    return execution
