"""Handing out pull-queue tasks and taking their reports, in batches.

Each function takes a batch (the claims or reports that arrived together, see tasks_app.worker.group_commit)
and makes it one transaction with a fixed number of statements, whatever its size: a claim
batch is one ``UPDATE … RETURNING`` and one INSERT of history; a report batch is one locking
SELECT, one UPDATE and one INSERT (a report that moves a chain takes the per-task path). On
PostgreSQL each UPDATE and its INSERT of history are one statement (a data-modifying CTE), so
the batch costs one round trip fewer. Each item gets its own result, an error being the result of that item alone: one bad report never
fails the others. The one-item calls (``receive_queue_task``, ``report_queue_task``) are a batch
of one, so every caller goes through the same rules."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from tasks_app import ready_queue, scope, sql
from tasks_app.exceptions import Conflict, InvalidInput, JobError, NotFound
from tasks_app.models import QueueTask, QueueTaskEvent, QueueTaskState
from tasks_app.models import QueueTaskEventKind as Kind
from tasks_app.queue_fields import MAX_STORED_INT, checked_channel, checked_text
from tasks_app.scope import Scope
from tasks_app.services.queues import REPORTS, _cancel_chain, _end_attempt, _event, _publish_on_commit, _settle, _succeed

# The columns of a task's history that the hand-written statements fill.
_EVENT_COLUMNS = ", ".join(f'"{c}"' for c in ("task_id", "at", "kind", "state", "retry_count", "delivery", "note"))
# What a report without a chain to move writes on its task.
REPORTED_FIELDS = ["state", "output", "retry_count", "ready_at", "lease_expires_at", "updated_at"]


@dataclass(frozen=True)
class ClaimRequest:
    task_id: int
    holder: str = ""


@dataclass(frozen=True)
class Report:
    task_id: int
    state: int
    output: str = ""
    # The caller's tenancy scope: a batch is written on another thread, for many callers.
    scope: Scope = field(default_factory=scope.current)


Claim = Callable[[ClaimRequest], "QueueTask | None"]


# --- handing out ---------------------------------------------------------------------------------


def receive_queue_task(
    *, channel: str, wait_seconds: float | None, stop: Callable[[], bool] = lambda: False, holder: str = "", claim: Claim | None = None
) -> QueueTask | None:
    """Hand out the oldest ready task of ``channel`` under a lease, waiting for one up to
    ``wait_seconds`` (None: until ``stop()``). None when none came. ``holder`` names the
    receiver in the task's history; ``claim`` makes the claim (default: in this thread)."""
    checked_channel(channel)
    scope.current().require_write(channel, field="Channel")
    claim = claim or claim_queue_task
    deadline = None if wait_seconds is None else time.monotonic() + wait_seconds
    while not stop():
        remaining = ready_queue.POP_SLICE_SECONDS if deadline is None else deadline - time.monotonic()
        task_id = ready_queue.pop(channel, timeout=remaining)
        if task_id is None:
            if deadline is not None and time.monotonic() >= deadline:
                return None
            continue
        task = claim(ClaimRequest(task_id, holder))  # None for a stale entry: each pop removes one, so look again
        if task is not None:
            return task
    return None


def claim_queue_task(request: ClaimRequest) -> QueueTask | None:
    return claim_queue_tasks([request])[0]


@transaction.atomic
def claim_queue_tasks(requests: Sequence[ClaimRequest]) -> list[QueueTask | None]:
    """WAITING -> PROCEEDING for each task that still is: a stale or duplicate queue entry
    claims nothing (None). One UPDATE for the batch, its rows read back by RETURNING; on
    PostgreSQL the same statement writes their history."""
    notes: dict[int, str] = {}  # the first request for a task gets it
    for request in requests:
        if 0 < request.task_id <= MAX_STORED_INT:
            notes.setdefault(request.task_id, f"to {request.holder}" if request.holder else "")
    claimed = {task.pk: task for task in _claim_rows(notes, timezone.now())} if notes else {}
    return [claimed.pop(request.task_id, None) for request in requests]


def _claim_rows(notes: dict[int, str], now: datetime) -> list[QueueTask]:
    fields = QueueTask._meta.concrete_fields
    table, pk = sql.quote(QueueTask._meta.db_table), sql.quote(QueueTask._meta.pk.column)  # type: ignore[union-attr]
    state, ready_at, deliveries = sql.quote("state"), sql.quote("ready_at"), sql.quote("deliveries")
    update = (
        f"UPDATE {table} SET {state} = %s, {ready_at} = NULL, {deliveries} = {deliveries} + 1,"
        f" {sql.quote('updated_at')} = %s, {sql.quote('lease_expires_at')} = %s"
        f" WHERE {pk} IN ({sql.placeholders(len(notes))}) AND {sql.unindexed_test(state)} AND {ready_at} IS NOT NULL"
        f" RETURNING {', '.join(sql.quote(f.column) for f in fields)}"
    )
    lease_ends = now + timedelta(seconds=settings.QUEUE_LEASE_SECONDS)
    at, until = sql.prep(sql.field(QueueTask, "updated_at"), now), sql.prep(sql.field(QueueTask, "lease_expires_at"), lease_ends)
    params = [QueueTaskState.PROCEEDING, at, until, *notes, QueueTaskState.WAITING]
    if connection.vendor == "postgresql":
        found = sql.select(_with_history(update), [*params, at, Kind.HANDED_OUT, list(notes), list(notes.values())], fields)
    else:
        found = sql.select(update, params, fields)
    names = [f.attname for f in fields]
    claimed = [sql.partial(QueueTask, dict(zip(names, values, strict=True))) for values in found]
    if connection.vendor != "postgresql":
        QueueTaskEvent.objects.bulk_create([_event(task, Kind.HANDED_OUT, now, note=notes[task.pk]) for task in claimed])
    return claimed


def _update_with_history(settled: list[tuple[QueueTask, str, str]], now: datetime) -> None:
    """The tasks' new state and their history in one statement (one round trip)."""
    update, params = sql.update_statement([task for task, _, _ in settled], REPORTED_FIELDS)
    table, events = sql.quote(QueueTask._meta.db_table), sql.quote(QueueTaskEvent._meta.db_table)
    statement = (
        f"WITH settled AS ({update} RETURNING {table}.id, {table}.state, {table}.retry_count, {table}.deliveries)"
        f" INSERT INTO {events} ({_EVENT_COLUMNS}) SELECT settled.id, %s, given.kind, settled.state, settled.retry_count,"
        " settled.deliveries, given.note FROM settled JOIN unnest(%b::bigint[], %b::text[], %b::text[]) AS given(id, kind, note)"
        " ON given.id = settled.id"
    )
    at = sql.prep(sql.field(QueueTaskEvent, "at"), now)
    ids, kinds, notes = ([t.pk for t, _, _ in settled], [k for _, k, _ in settled], [n[:500] for _, _, n in settled])
    sql.execute(statement, [*params, at, ids, kinds, notes])


def _with_history(update: str) -> str:
    """``update`` and the INSERT of its rows' history as one statement (one round trip)."""
    events = sql.quote(QueueTaskEvent._meta.db_table)
    return (
        f"WITH claimed AS ({update}), history AS (INSERT INTO {events} ({_EVENT_COLUMNS})"
        " SELECT claimed.id, %s, %s, claimed.state, claimed.retry_count, claimed.deliveries, given.note"
        " FROM claimed JOIN unnest(%b::bigint[], %b::text[]) AS given(id, note) ON given.id = claimed.id)"
        " SELECT * FROM claimed"
    )


# --- results -----------------------------------------------------------------------------------


def report_queue_task(*, task_id: int, state: int, output: str = "") -> QueueTask:
    """A worker's result for a task it holds. Refused unless the task is PROCEEDING."""
    result = report_queue_tasks([Report(task_id, state, output)])[0]
    if isinstance(result, JobError):
        raise result
    return result


@transaction.atomic
def report_queue_tasks(reports: Sequence[Report]) -> list[QueueTask | JobError]:
    """Workers' results, each for a task its worker holds; each is refused (its error is its
    result) unless its task is PROCEEDING when its turn comes, in the order given."""
    now = timezone.now()
    valid_ids = {r.task_id for r in reports if _report_error(r) is None}
    locked = {t.pk: t for t in QueueTask.objects.select_for_update().filter(pk__in=valid_ids).order_by("pk")} if valid_ids else {}
    results: list[QueueTask | JobError] = []
    plain: list[tuple[QueueTask, str, str]] = []
    for report in reports:
        error = _report_error(report) or _refusal(report, locked.get(report.task_id))
        if error is not None:
            results.append(error)
            continue
        task = locked[report.task_id]
        task.output = report.output
        kind = REPORTS[report.state]
        if kind == Kind.CANCELLED or task.next_id is not None:
            with scope.using(report.scope):
                _settle_moving_chain(task, kind, now)
        else:
            plain.append((task, kind, _settle_alone(task, kind, now)))
        results.append(task)
    _write_plain(plain, now)
    return results


def _report_error(report: Report) -> JobError | None:
    if report.state not in REPORTS:
        return InvalidInput("must be 1 (success), 2 (failure), 3 (retry) or 4 (cancel)", field="State")
    try:
        checked_text(report.output, field="Output")
    except InvalidInput as error:
        return error
    return None


def _refusal(report: Report, task: QueueTask | None) -> JobError | None:
    task_id = report.task_id
    if task is None or not report.scope.sees(task.channel):  # another tenant's task is not found
        return NotFound(f"no task {task_id}", field="ID")
    try:
        report.scope.require_write(task.channel, field="ID")
    except JobError as error:
        return error
    if task.state != QueueTaskState.PROCEEDING:
        return Conflict(f"task {task_id} is {task.state}, not PROCEEDING: its lease ended or it was settled", field="ID")
    return None


def _settle_moving_chain(task: QueueTask, kind: str, now: datetime) -> None:
    """A report that readies, or cancels, the tasks after it: written task by task."""
    if kind == Kind.SUCCEEDED:
        _succeed(task, now)
    elif kind == Kind.CANCELLED:
        _cancel_chain(task, now, note="cancelled by its worker")
    else:
        _end_attempt(task, now, kind)


def _settle_alone(task: QueueTask, kind: str, now: datetime) -> str:
    """The new state of a task with nothing after it (written later, with the batch); returns
    the note for its history."""
    task.updated_at = now
    if kind == Kind.SUCCEEDED:
        _settle(task, QueueTaskState.SUCCESS)
        return ""
    if task.retry_count < task.retry_max_limit:
        _settle(task, QueueTaskState.WAITING)
        task.retry_count += 1
        task.ready_at = now
        return f"retry {task.retry_count} of {task.retry_max_limit}"
    _settle(task, QueueTaskState.FAILURE)
    return f"no retries left ({task.retry_max_limit})"


def _write_plain(settled: list[tuple[QueueTask, str, str]], now: datetime) -> None:
    """One UPDATE and one INSERT of history for the batch's tasks with nothing after them."""
    if not settled:
        return
    tasks = [task for task, _, _ in settled]
    if connection.vendor == "postgresql":
        _update_with_history(settled, now)
    else:
        sql.update_each(tasks, REPORTED_FIELDS)
        QueueTaskEvent.objects.bulk_create([_event(task, kind, now, note=note) for task, kind, note in settled])
    _publish_on_commit(t for t in tasks if t.state == QueueTaskState.WAITING)
