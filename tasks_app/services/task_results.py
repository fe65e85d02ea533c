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
from django_celery_results.models import TaskResult

from tasks_app.services.rows import insert_each

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


def task_result(task: TaskRecord, result: dict[str, Any], *, started_at: datetime | None) -> TaskResult:
    """The row django-celery-results would store for ``task`` ending with ``result``."""
    return TaskResult(
        task_id=task.task_id, task_name=task.task_name, status=states.SUCCESS, worker=task.worker,
        content_type="application/json", content_encoding="utf-8", result=json.dumps(result), meta='{"children": []}',
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
