"""Creating pull-queue tasks in batches: the creations that arrive together (see tasks_app.worker.group_commit)
as one transaction of one SELECT (for the HashCodes given), one INSERT of tasks and one INSERT
of history (on PostgreSQL both INSERTs are one statement). A task chained to a prior takes the
one-task path (it locks its prior), in the same transaction. Each creation gets its own result,
an error being that creation's alone."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tasks_app import scope as scope_module
from tasks_app import sql
from tasks_app.exceptions import Conflict, JobError
from tasks_app.models import QueueTask, QueueTaskEvent
from tasks_app.models import QueueTaskEventKind as Kind
from tasks_app.models.queues import DEFAULT_RETRY_MAX_LIMIT
from tasks_app.scope import Scope
from tasks_app.services.queues import _check_new, _event, _publish_on_commit, create_queue_task

Created = tuple[QueueTask, bool]  # the task, and whether this call created it (False: its HashCode existed)


@dataclass(frozen=True)
class NewTask:
    channel: str
    hash_code: str = ""
    owner: int = 0
    input: str = ""
    prior_id: int = 0
    next_id: int = 0
    retry_max_limit: int = 0
    # The caller's tenancy scope: a batch is written on another thread, for many callers.
    scope: Scope = field(default_factory=scope_module.current)

    def arguments(self) -> dict[str, object]:
        """``create_queue_task``'s keyword arguments."""
        return {name: value for name, value in asdict(self).items() if name != "scope"}


def create_queue_tasks(batch: Sequence[NewTask]) -> list[Created | JobError]:
    """Each a new task, or the existing one with its HashCode, as ``create_queue_task`` makes it.
    A HashCode that a concurrent creation takes first fails the batch's INSERT: group commit then
    makes each creation on its own, where ``create_queue_task`` answers it."""
    results: list[Created | JobError | None] = [_invalid(new) for new in batch]
    try:
        with transaction.atomic():
            _create_unchained(batch, results)
            for index, new in enumerate(batch):
                if results[index] is None:  # chained: locks its prior, one task at a time
                    results[index] = _create_one(new)
    except IntegrityError:
        if len(batch) > 1:
            raise
        return [_create_one(batch[0])]  # which finds the task that took its HashCode
    return results  # type: ignore[return-value]


def _create_one(new: NewTask) -> Created | JobError:
    try:
        with scope_module.using(new.scope):
            return create_queue_task(**new.arguments())  # type: ignore[arg-type]
    except JobError as error:
        return error


def _invalid(new: NewTask) -> JobError | None:
    try:
        _check_new(**{name: value for name, value in new.arguments().items() if name != "prior_id"})  # type: ignore[arg-type]
        new.scope.require_write(new.channel, field="Channel")
    except JobError as error:
        return error
    return None


def _create_unchained(batch: Sequence[NewTask], results: list[Created | JobError | None]) -> None:
    """Fill ``results`` for the valid creations without a prior."""
    indexes = [i for i, new in enumerate(batch) if results[i] is None and not new.prior_id]
    given = {batch[i].hash_code for i in indexes if batch[i].hash_code}
    known = {task.hash_code: task for task in QueueTask.objects.filter(hash_code__in=given)} if given else {}
    now = timezone.now()
    fresh: list[QueueTask] = []
    for index in indexes:
        new = batch[index]
        code = new.hash_code or uuid.uuid4().hex
        if code in known:  # it existed, or an earlier creation of this batch made it
            results[index] = _existing(known[code], new)
            continue
        known[code] = task = _new_task(new, code, now)
        fresh.append(task)
        results[index] = (task, True)
    if not fresh:
        return
    if connection.vendor == "postgresql":
        _insert_with_history(fresh, now)
    else:
        QueueTask.objects.bulk_create(fresh)
        QueueTaskEvent.objects.bulk_create([_event(task, Kind.CREATED, now) for task in fresh])
    _publish_on_commit(fresh)


def _insert_with_history(tasks: list[QueueTask], now: datetime) -> None:
    """The tasks and their history in one statement (one round trip); sets each task's id."""
    insert, params = sql.insert_statement(tasks)
    events = sql.quote(QueueTaskEvent._meta.db_table)
    columns = ", ".join(sql.quote(c) for c in ("task_id", "at", "kind", "state", "retry_count", "delivery", "note"))
    statement = (
        f"WITH created AS ({insert} RETURNING id, hash_code, state), history AS (INSERT INTO {events} ({columns})"
        " SELECT id, %s, %s, state, 0, 0, '' FROM created) SELECT id, hash_code FROM created"
    )
    at = sql.prep(sql.field(QueueTaskEvent, "at"), now)
    fields = [QueueTask._meta.pk, sql.field(QueueTask, "hash_code")]
    ids = {code: pk for pk, code in sql.select(statement, [*params, at, Kind.CREATED], fields)}
    for task in tasks:
        task.pk = ids[task.hash_code]
        task._state.adding, task._state.db = False, connection.alias


def _existing(task: QueueTask, new: NewTask) -> Created | JobError:
    if not new.scope.sees(task.channel):  # another tenant's task: not shown, and its HashCode not reusable
        return Conflict("is taken by a task this caller cannot see", field="HashCode")
    return task, False


def _new_task(new: NewTask, hash_code: str, now: datetime) -> QueueTask:
    return QueueTask(
        channel=new.channel, hash_code=hash_code, owner=new.owner, input=new.input, ready_at=now,
        retry_max_limit=new.retry_max_limit or DEFAULT_RETRY_MAX_LIMIT,
    )  # fmt: skip
