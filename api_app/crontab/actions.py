"""One task of a batch: parse it, make its one service call (``rules``, each one transaction),
give its result. ``each_task`` runs them one by one, so a task that fails writes nothing and the
others still go through."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from api_app.crontab import rules
from api_app.crontab.errors import task_error
from api_app.crontab.mapping import job_fields, log_entry, task_result
from api_app.crontab.serializers import TaskChangeSerializer, TaskLogRefSerializer, TaskRefSerializer, TaskSerializer
from api_app.parsing import parsed
from tasks_app.outages import DATABASE_ERRORS


@dataclass
class TaskOutcome:
    result: dict[str, Any]
    logs: list[dict[str, Any]] = field(default_factory=list)
    succeeded: bool = True


Action = Callable[[Any], TaskOutcome]


def each_task(tasks: list[Any], action: Action) -> list[TaskOutcome]:
    return [_one(task, action) for task in tasks]


def _one(task: Any, action: Action) -> TaskOutcome:
    try:
        return action(task)
    except DATABASE_ERRORS:
        raise  # not this task's failure: the whole request answers 503 (api_app.errors)
    except Exception as error:  # a task's failure, even an unexpected one, is its own result
        return TaskOutcome(task_result(None, task, task_error(error)), succeeded=False)


def add(task: Any) -> TaskOutcome:
    fields = job_fields(parsed(TaskSerializer, task), now=timezone.now())
    return TaskOutcome(task_result(rules.create_task(**fields), task))


def update(task: Any) -> TaskOutcome:
    given = parsed(TaskChangeSerializer, task, partial=True)
    return TaskOutcome(task_result(rules.update_task(given=given, now=timezone.now()), task))


def run_again(task: Any) -> TaskOutcome:
    ref = parsed(TaskRefSerializer, task)
    return TaskOutcome(task_result(rules.run_again(task_id=ref.get("task_id"), name=ref.get("name")), task))


def query(task: Any) -> TaskOutcome:
    ref = parsed(TaskLogRefSerializer, task)
    job = rules.find_task(task_id=ref.get("task_id"), name=ref.get("name"))
    total, attempts = rules.task_log(job=job, page=ref["page"], page_size=ref["page_size"])
    result = task_result(job, task) | {"log_total": total, "page": ref["page"], "page_size": ref["page_size"]}
    return TaskOutcome(result, logs=[log_entry(job, attempt) for attempt in attempts])
