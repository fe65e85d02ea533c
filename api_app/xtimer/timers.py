"""The one place where an xtimer timer and the platform's Job meet.

A timer is a Job of dialect ``xtimer`` with namespace = ``app`` and name = ``name``; its
``timerId`` is the job's id. Its cron is read with Go's numbering (syntax ``unix``: 5 fields, or
6/7 with seconds first and a year last) in its own zone. Its notify is an HTTP callback with a
5 s timeout and no retries unless the timer asks (``timeoutMs``, ``retry``). Its tasks are the
job's executions. See docs/decisions/0202-xtimer-timers-as-jobs.md."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from tasks_app import secret_headers, selectors
from tasks_app.exceptions import NotFound
from tasks_app.models import Dialect, Execution, ExecutionStatus, Job

DISABLED, ENABLED = 1, 2
DEFAULT_TIMEOUT_MS = 5000
# xtimer's task states: 0 not run, 1 running, 2 succeeded, 3 failed. A skipped occurrence
# (missed while the platform was down, or queued when its timer was deleted) never will run.
TASK_STATUS = {
    ExecutionStatus.QUEUED: 0,
    ExecutionStatus.RUNNING: 1,
    ExecutionStatus.SUCCEEDED: 2,
    ExecutionStatus.FAILED: 3,
    ExecutionStatus.SKIPPED: 3,
}


def epoch_ms(moment: datetime | None) -> int | None:
    return None if moment is None else round(moment.timestamp() * 1000)


# --- timer -> job ------------------------------------------------------------------------------


def notify_callback(param: dict[str, Any], *, timeout_ms: int | None) -> dict[str, Any]:
    """``notifyHTTPParam`` as the platform's HTTP callback: the body is sent as given (raw)."""
    return {
        "kind": "http",
        "url": param["url"],
        "method": param["method"],
        "headers": param.get("header") or {},
        "body": param.get("body") or None,
        "body_format": "raw",
        "timeout_seconds": (timeout_ms or DEFAULT_TIMEOUT_MS) / 1000,
    }


def job_arguments(timer: dict[str, Any]) -> dict[str, Any]:
    """What ``services.create_job`` takes for a timer (a CreateTimerSerializer's data)."""
    return {
        "dialect": Dialect.XTIMER,
        "namespace": timer["app"],
        "name": timer["name"],
        "trigger": {"kind": "cron", "cron": timer["cron"], "syntax": "unix", "time_zone": timer.get("timeZone")},
        "callback": notify_callback(timer["notifyHTTPParam"], timeout_ms=timer.get("timeoutMs")),
        "retry": {"delays_seconds": [delay_ms / 1000 for delay_ms in timer.get("retry") or []]},
        "enabled": timer.get("status") == ENABLED,
        "dialect_data": {"notifyHTTPParam": timer["notifyHTTPParamText"]} if "notifyHTTPParamText" in timer else {},
    }


# --- job -> timer ------------------------------------------------------------------------------


def notify_param(callback: dict[str, Any]) -> dict[str, Any]:
    return {
        "url": callback["url"],
        "method": callback["method"],
        "header": secret_headers.masked(callback.get("headers") or {}),
        "body": callback.get("body") or "",
    }


def _describes(text: str, param: dict[str, Any]) -> bool:
    """Whether the notifyHTTPParam text a timer was created with still says what its callback does
    (a change through the v1 API or the console makes it stale)."""
    given = json.loads(text)
    header = {str(name): value for name, value in (given.get("header") or {}).items()}
    written = {"url": given.get("url"), "method": str(given.get("method")).upper(), "header": header, "body": given.get("body") or ""}
    return written == param | {"method": param["method"].upper()}


def notify_param_as_written(job: Job) -> dict[str, Any] | str:
    """``notifyHTTPParam`` in the form the timer was created with: an object, or JSON text (the
    very text given, while it still describes the callback)."""
    param = notify_param(job.callback)
    text = job.dialect_data.get("notifyHTTPParam")
    if not isinstance(text, str):
        return param
    return text if _describes(text, param) else json.dumps(param, ensure_ascii=False)


def timer_json(job: Job) -> dict[str, Any]:
    return {
        "timerId": job.pk,
        "app": job.namespace,
        "name": job.name,
        "status": ENABLED if job.enabled else DISABLED,
        "cron": job.trigger["cron"],
        "notifyHTTPParam": notify_param_as_written(job),
        "createTime": epoch_ms(job.created_at),
    }


def task_output(execution: Execution) -> str:
    """What the notify answered, or why it failed (with the answer, when there was one)."""
    if execution.status == ExecutionStatus.SUCCEEDED:
        return execution.response_body
    return ": ".join(part for part in (execution.error, execution.response_body) if part)


def task_json(execution: Execution) -> dict[str, Any]:
    """``costTime`` is the measured firing delay (start minus due) in ms; null until it starts."""
    return {
        "taskId": execution.pk,
        "timerId": execution.job_id,
        "runTime": epoch_ms(execution.scheduled_for),
        "status": TASK_STATUS[ExecutionStatus(execution.status)],
        "output": task_output(execution),
        "costTime": execution.lateness_ms,
    }


# --- reads -------------------------------------------------------------------------------------


def timers_of(app: str) -> QuerySet[Job]:
    return selectors.jobs_named(dialect=Dialect.XTIMER, namespace=app)


def timer(app: str, timer_id: int) -> Job:
    """The app's timer; a timer of another app is not found, as if it did not exist."""
    job = selectors.job_of(dialect=Dialect.XTIMER, namespace=app, job_id=timer_id)
    if job is None:
        raise NotFound(f"no timer {timer_id} in app {app!r}", field="timerId")
    return job


def timers_named(app: str, name: str) -> QuerySet[Job]:
    return selectors.jobs_named(dialect=Dialect.XTIMER, namespace=app, name_contains=name)
