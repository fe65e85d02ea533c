"""The Celery-level record of an attempt: django-celery-results' TaskResult, written by us once,
in the same transaction as the attempt's outcome, instead of by Celery's result backend
(which writes STARTED and then SUCCESS, each in a transaction of its own). The row is the one the
backend would write: the same fields, encodings and task id, so the admin, ``AsyncResult`` and
django-celery-results' own cleanup read it as theirs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from celery import states
from django.utils import timezone
from django_celery_results.models import TaskResult

from tasks_app.sql import insert_each

EXECUTE_TASK = "tasks_app.tasks.execute"
_UPDATED = ["status", "result", "date_done", "date_started", "task_name", "task_args", "task_kwargs", "worker", "meta"]


@dataclass(frozen=True)
class TaskRecord:
    """The Celery task that runs an attempt, as its TaskResult names it (``args``/``kwargs``
    are the message's reprs, as Celery's extended results store them)."""

    task_id: str
    task_name: str = EXECUTE_TASK
    args: str | None = None
    kwargs: str | None = None
    worker: str | None = None


class AttemptFailed(Exception):
    """A Celery task whose attempt failed raises this (after recording it), so the worker's own
    events, and Flower with them, show the task as failed; its TaskResult stores the same."""


# The Celery state of a task by its attempt's outcome: SUCCESS only for a success. A deferred
# attempt goes back to the queue (Celery's RETRY); a pending one awaits its callee's report.
_STATES = {"failed": states.FAILURE, "deferred": states.RETRY, "running": states.STARTED}


def task_state(summary: dict[str, Any]) -> str:
    return _STATES.get(summary.get("status", ""), states.SUCCESS)


def failure_result(error: str) -> dict[str, Any]:
    """A failure as Celery's result backend serialises an exception (``AsyncResult.result``
    turns it back into AttemptFailed)."""
    return {"exc_type": AttemptFailed.__name__, "exc_message": [error], "exc_module": __name__}


def task_result(task: TaskRecord, result: dict[str, Any], *, started_at: datetime | None) -> TaskResult:
    """The row django-celery-results would store for ``task`` ending with ``result`` (a failed
    attempt's summary is stored as its error, the way Celery stores a task's exception)."""
    state = task_state(result)
    stored = failure_result(result.get("error") or "failed") if state == states.FAILURE else result
    return TaskResult(
        task_id=task.task_id, task_name=task.task_name, status=state, worker=task.worker,
        content_type="application/json", content_encoding="utf-8", result=json.dumps(stored), meta='{"children": []}',
        task_args=None if task.args is None else json.dumps(task.args),
        task_kwargs=None if task.kwargs is None else json.dumps(task.kwargs),
        date_started=started_at,
    )  # fmt: skip


def store_task_results(rows: list[TaskResult], *, replace: bool = True) -> None:
    """One INSERT. An attempt's own record replaces whatever a duplicate message of the same task
    wrote; a duplicate's (``replace=False``) never overwrites an attempt's record. Rows without a
    task id (an attempt run outside Celery) are not stored."""
    rows = [row for row in rows if row.task_id]
    if not rows:
        return
    insert_each(rows, unique="task_id", replace=_UPDATED if replace else None)


def settle_task_result(task_id: str, summary: dict[str, Any]) -> None:
    """A callee's later report ends an attempt whose task already ended (STARTED): its
    TaskResult takes the attempt's final state."""
    if not task_id:
        return
    row = task_result(TaskRecord(task_id), summary, started_at=None)
    TaskResult.objects.filter(task_id=task_id).update(status=row.status, result=row.result, date_done=timezone.now())
