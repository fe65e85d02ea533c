"""Claiming attempts: queued -> running, before the callback is called; and what a claim decides
after it.

A batch (the attempts a worker's threads start together, see tasks_app.worker.group_commit) is
one SELECT of the executions with their jobs' callbacks and one conditional UPDATE, so a
duplicate message, or a message another worker already took, claims nothing. The running row
carries its deadline: an attempt whose worker died is queued again once it passes
(firing.recover_lost_executions), and an outcome is recorded only while the claim that made the
call still holds (``held_by_their_claims``). A claimed attempt that may not call yet (its target
is busy, see host_limits) is given back (``defer_many``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django_celery_results.models import TaskResult

from tasks_app import clock, signing, sql
from tasks_app import redis as platform_redis
from tasks_app.attempts.task_results import store_task_results
from tasks_app.callbacks import Callback, build_callback
from tasks_app.exceptions import InvalidInput
from tasks_app.models import Execution, ExecutionStatus, Job

# What a claim reads; the rest of the row (and of its job) loads if something uses it.
EXECUTION_FIELDS = ["id", "job_id", "scheduled_for", "attempt", "reason", "priority", "due_at"]
# dialect and namespace: what the metrics and alert rules read of an ended attempt's job (namespace: its signing secret too).
JOB_FIELDS = ["callback", "retry", "overlap_policy", "namespace", "dialect"]

Claimed = tuple[Execution, Callback]


@dataclass(frozen=True)
class ClaimRequest:
    execution_id: int
    task_id: str


def claim_many(requests: Sequence[ClaimRequest]) -> list[Claimed | Exception | None]:
    """One result per request: the claimed execution and its callback; None when it is not
    queued (or appears twice in the batch); an exception when its stored callback is invalid.

    Beat sends attempts a moment before they are due (SCHEDULER_SEND_AHEAD_SECONDS): a claimed
    attempt's ``started_at`` is when its call starts, its due time, but never later than that
    moment from now; the caller waits until then (see ``seconds_until_start``)."""
    now = clock.now()
    queued = {row[0]: row for row in _select_queued({r.execution_id for r in requests})}
    results: list[Claimed | Exception | None] = []
    for request in requests:
        row = queued.pop(request.execution_id, None)
        results.append(None if row is None else _prepare(row, request.task_id, now))
    won = _mark_running([result[0] for result in results if isinstance(result, tuple)], now)
    return [result if not isinstance(result, tuple) or result[0].pk in won else None for result in results]


def _select_queued(ids: set[int]) -> list[list[Any]]:
    fields = [sql.field(Execution, n) for n in EXECUTION_FIELDS] + [sql.field(Job, n) for n in JOB_FIELDS]
    columns = [f"{'e' if f.model is Execution else 'j'}.{sql.quote(f.column)}" for f in fields]
    statement = (
        f"SELECT {', '.join(columns)} FROM {sql.quote(Execution._meta.db_table)} e "
        f"JOIN {sql.quote(Job._meta.db_table)} j ON j.id = e.job_id WHERE e.id IN ({sql.placeholders(len(ids))})"
        f" AND {sql.unindexed_test('e.status')}"
    )
    return sql.select(statement, [*ids, ExecutionStatus.QUEUED], fields)


def _prepare(row: list[Any], task_id: str, now: datetime) -> Claimed | Exception:
    split = len(EXECUTION_FIELDS)
    execution = sql.partial(Execution, dict(zip(EXECUTION_FIELDS, row[:split], strict=True)) | {"status": ExecutionStatus.QUEUED})
    execution.job = sql.partial(Job, dict(zip(JOB_FIELDS, row[split:], strict=True)) | {"id": execution.job_id})
    try:
        callback = build_callback(execution.job.callback)
    except InvalidInput as error:  # stored before a validation rule changed: fails this one alone
        return error
    signing.warm(execution.job.namespace)  # here, on a thread with a database connection
    execution.status, execution.started_at, execution.task_id = ExecutionStatus.RUNNING, _start(execution.due_at, now), task_id
    execution.deadline_at = _latest_start(now) + timedelta(seconds=claim_seconds(callback))
    return execution, callback


def _latest_start(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.SCHEDULER_SEND_AHEAD_SECONDS)


def _start(due_at: datetime, now: datetime) -> datetime:
    """When a call claimed ``now`` starts: at its due time, within [now, _latest_start(now)]
    (_mark_running computes the same in SQL)."""
    return min(max(due_at, now), _latest_start(now))


def seconds_until_start(execution: Execution) -> float:
    """How long a claimed attempt waits before its call (0 once its start has come)."""
    return max(0.0, min(clock.seconds_until(execution.started_at), settings.SCHEDULER_SEND_AHEAD_SECONDS))  # type: ignore[arg-type]


def claim_seconds(callback: Callback) -> float:
    """How long a claim holds: past it, the attempt counts as lost (its worker died)."""
    return callback.timeout_seconds + settings.EXECUTION_RECOVERY_GRACE_SECONDS


def _mark_running(executions: list[Execution], now: datetime) -> set[int]:
    """The ids that moved from queued to running: one UPDATE per distinct deadline (usually one).
    The task id is written with the outcome; the deadline (this batch's moment plus the claim)
    tells our rows from those of a worker that claimed some of them between our SELECT and UPDATE."""
    if not executions:
        return set()
    by_deadline: dict[datetime, list[int]] = {}
    for execution in executions:
        by_deadline.setdefault(execution.deadline_at, []).append(execution.pk)  # type: ignore[arg-type]
    with transaction.atomic():
        moved = sum(_move_to_running(ids, now, deadline) for deadline, ids in by_deadline.items())
    ids = [e.pk for e in executions]
    if moved == len(ids):
        return set(ids)
    # Found by primary key alone, tested here: see sql.unindexed_test.
    found = Execution.objects.filter(pk__in=ids).values_list("pk", "status", "deadline_at")
    return {pk for pk, status, deadline in found if status == ExecutionStatus.RUNNING and deadline in by_deadline}


def _move_to_running(ids: list[int], now: datetime, deadline: datetime) -> int:
    """started_at is _start(due_at, now), computed by the database from each row's due time."""
    table, at = sql.quote(Execution._meta.db_table), sql.placeholders(len(ids))
    started = sql.field(Execution, "started_at")
    earliest, latest = sql.prep(started, now), sql.prep(started, _latest_start(now))
    until = sql.prep(sql.field(Execution, "deadline_at"), deadline)
    statement = (
        f"UPDATE {table} SET status = %s, deadline_at = %s,"
        f" started_at = CASE WHEN due_at < %s THEN %s WHEN due_at > %s THEN %s ELSE due_at END"
        f" WHERE id IN ({at}) AND {sql.unindexed_test('status')}"
    )
    params = [ExecutionStatus.RUNNING, until, earliest, earliest, latest, latest, *ids, ExecutionStatus.QUEUED]
    return sql.execute(statement, params)


def claim_is_fresh(execution: Execution, callback: Callback) -> bool:
    """False when a claimed attempt has used up more than half its grace before calling: it
    waited for a free callback thread (claimed with its whole message, see
    lifecycle.run_executions). Its call could outlast the claim: extend it first."""
    left = clock.seconds_until(execution.deadline_at)  # type: ignore[arg-type]
    return left >= claim_seconds(callback) - settings.EXECUTION_RECOVERY_GRACE_SECONDS / 2


def extend_claim(execution: Execution, callback: Callback) -> bool:
    """Push a claimed attempt's deadline a whole claim ahead of now, so the sweep does not queue
    it again while it calls. False when the sweep already did: the attempt is no longer ours."""
    deadline = clock.now() + timedelta(seconds=claim_seconds(callback))
    table = sql.quote(Execution._meta.db_table)
    started = sql.prep(sql.field(Execution, "started_at"), execution.started_at)
    until = sql.prep(sql.field(Execution, "deadline_at"), deadline)
    statement = f"UPDATE {table} SET deadline_at = %s WHERE id = %s AND {sql.unindexed_test('status')} AND started_at = %s"
    if not sql.execute(statement, [until, execution.pk, ExecutionStatus.RUNNING, started]):
        return False
    execution.deadline_at = deadline
    return True


@dataclass(frozen=True)
class GiveBack:
    """A claimed attempt that did not start its call: queued again, due at ``due_at``."""

    execution: Execution
    due_at: datetime
    note: str


GIVEN_BACK_FIELDS = ["status", "due_at", "dispatched_at", "started_at", "deadline_at", "error"]


def give_back_many(attempts: Sequence[GiveBack]) -> None:
    """running -> queued, as if never sent (the scheduler sends it again once due), with the same
    attempt number: it was never made. ``error`` says why it waits."""
    for attempt in attempts:
        execution = attempt.execution
        execution.status, execution.due_at, execution.error = ExecutionStatus.QUEUED, attempt.due_at, attempt.note
        execution.dispatched_at = execution.started_at = execution.deadline_at = None
    still_running = f" AND {sql.unindexed_test('status')}"
    sql.update_each([a.execution for a in attempts], GIVEN_BACK_FIELDS, where=still_running, where_params=[ExecutionStatus.RUNNING])


@dataclass(frozen=True)
class Deferral:
    """A claimed attempt given back because its target had no free slot, and its task's TaskResult."""

    give_back: GiveBack
    task_result: TaskResult


def defer_many(deferrals: Sequence[Deferral]) -> list[None]:
    """Attempts deferred together: given back, with their tasks' TaskResults, in one transaction;
    beat is woken for the first of them to fall due."""
    with transaction.atomic():
        give_back_many([d.give_back for d in deferrals])
        store_task_results([d.task_result for d in deferrals])
    platform_redis.wake_scheduler(min(d.give_back.due_at for d in deferrals).timestamp())
    return [None] * len(deferrals)


def held_by_their_claims(executions: Sequence[Execution]) -> list[bool]:
    """For each claimed execution, whether the claim that made it running still holds: its row
    still has the deadline that claim wrote (recovery clears it, the next claim writes another;
    a callee's early report keeps it). The rows stay locked until the transaction ends, so the
    sweep cannot take them meanwhile."""
    if not executions:
        return []
    table = sql.quote(Execution._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    statement = f"SELECT id, deadline_at FROM {table} WHERE id IN ({sql.placeholders(len(executions))}){lock}"
    fields = [sql.field(Execution, "id"), sql.field(Execution, "deadline_at")]
    deadlines = dict(sql.select(statement, [e.pk for e in executions], fields))
    return [e.pk in deadlines and deadlines[e.pk] == e.deadline_at for e in executions]
