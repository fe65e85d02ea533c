"""One task of a batch: parse it, make its one service call, give its result. ``each_task`` runs
each in its own transaction, so a task that fails writes nothing and the others still go through."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from rest_framework import serializers

from api_app.crontab.errors import task_error
from api_app.crontab.mapping import job_changes, job_fields, log_entry, task_result
from api_app.crontab.serializers import TaskChangeSerializer, TaskLogRefSerializer, TaskRefSerializer, TaskSerializer
from tasks_app import services
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
        with transaction.atomic():
            return action(task)
    except DATABASE_ERRORS:
        raise  # not this task's failure: the whole request answers 503 (api_app.errors)
    except Exception as error:  # a task's failure, even an unexpected one, is its own result
        return TaskOutcome(task_result(None, task, task_error(error)), succeeded=False)


def _parsed(serializer_class: type[serializers.Serializer], task: Any, *, partial: bool = False) -> dict[str, Any]:
    serializer = serializer_class(data=task, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def add(task: Any) -> TaskOutcome:
    fields = job_fields(_parsed(TaskSerializer, task), now=timezone.now())
    return TaskOutcome(task_result(services.create_crontab_task(**fields), task))


def update(task: Any) -> TaskOutcome:
    given = _parsed(TaskChangeSerializer, task, partial=True)
    task_id = given.pop("task_id", None)
    job = services.find_crontab_task(task_id=task_id, name=given.get("name"))
    if task_id is None or job.pk != task_id:
        given.pop("name", None)  # found by its name: the name is the key, not a change
    job = services.update_crontab_task(job=job, **job_changes(job, given, now=timezone.now()))
    return TaskOutcome(task_result(job, task))


def run_again(task: Any) -> TaskOutcome:
    ref = _parsed(TaskRefSerializer, task)
    job = services.find_crontab_task(task_id=ref.get("task_id"), name=ref.get("name"))
    services.trigger_job(job=job)
    return TaskOutcome(task_result(job, task))


def query(task: Any) -> TaskOutcome:
    ref = _parsed(TaskLogRefSerializer, task)
    job = services.find_crontab_task(task_id=ref.get("task_id"), name=ref.get("name"))
    total, attempts = services.crontab_task_log(job=job, page=ref["page"], page_size=ref["page_size"])
    result = task_result(job, task) | {"log_total": total, "page": ref["page"], "page_size": ref["page_size"]}
    return TaskOutcome(result, logs=[log_entry(job, attempt) for attempt in attempts])
