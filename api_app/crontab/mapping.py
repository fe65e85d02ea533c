"""A crontab task's wire fields as a job's fields, and a job's attempts as log entries.

A task is a job of dialect ``crontab``: namespace = ``module``, name = ``name``; ``type`` and
``start_time`` are its trigger (``schedule``); ``method``/``url``/``body``/``body_type``/
``resp_regexp`` its callback; ``redo_param`` its retry delays. The wire fields are kept in
``dialect_data`` so that an update can change some of them and keep the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.conf import settings

from api_app.crontab.schedule import trigger_for
from api_app.crontab.serializers import DISABLED, ENABLED, FORM_BODY, JSON_BODY, TaskIdField
from tasks_app import jsontext
from tasks_app.callbacks import build_callback
from tasks_app.exceptions import InvalidCallback, JobError
from tasks_app.models import Execution, ExecutionReason, ExecutionStatus, Job
from tasks_app.triggers import zone_named

SCHEDULE_FIELDS = ("type", "start_time")
CALLBACK_FIELDS = ("url", "method", "body", "body_type", "resp_regexp")
WIRE_DEFAULTS: dict[str, Any] = {"body": "", "body_type": JSON_BODY, "resp_regexp": "", "redo_param": []}
RPC_URL = re.compile(r"(?P<address>[^/\s]+)/(?P<method>[^/\s]+)")
# The callback kinds' field names, as the crontab wire names them.
_WIRE_NAMES = {
    "http": {"success_regexp": "resp_regexp", "body_format": "body_type"},
    "rpc": {"address": "url", "method": "url", "params": "body", "success_regexp": "resp_regexp"},
}
RUN_TYPES: dict[str, int] = {ExecutionReason.SCHEDULE: 1, ExecutionReason.RETRY: 2, ExecutionReason.MANUAL: 3}
STATUSES: dict[str, int] = {ExecutionStatus.RUNNING: 1, ExecutionStatus.SUCCEEDED: 2, ExecutionStatus.FAILED: 3, ExecutionStatus.SKIPPED: 3}
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _given(task: dict[str, Any]) -> dict[str, Any]:
    """The wire fields a task gives (those stored on the job); null means the field's default."""
    stored = SCHEDULE_FIELDS + CALLBACK_FIELDS + ("redo_param",)
    return {key: WIRE_DEFAULTS.get(key) if value is None else value for key, value in task.items() if key in stored}


def job_fields(task: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """add_task: every field of a new job."""
    wire = WIRE_DEFAULTS | _given(task)
    return {
        "module": task.get("module") or settings.CRONTAB_DEFAULT_MODULE,
        "name": task["name"],
        "trigger": trigger_for(wire["type"], wire["start_time"], now=now),
        "callback": callback_for(wire),
        "retry": {"delays_seconds": wire["redo_param"]},
        "enabled": task.get("enable", ENABLED) != DISABLED,
        "dialect_data": wire,
    }


def job_changes(job: Job, task: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """update_task: only what the task gives. A schedule or callback is rebuilt (from the given
    fields and the stored others) only when one of its fields changes."""
    stored = job.dialect_data
    wire = stored | _given(task)
    changed = {key for key, value in wire.items() if stored.get(key) != value}
    changes: dict[str, Any] = {"dialect_data": wire}
    if changed & set(SCHEDULE_FIELDS):
        changes["trigger"] = trigger_for(wire["type"], wire["start_time"], now=now)
    if changed & set(CALLBACK_FIELDS):
        changes["callback"] = callback_for(wire)
    if "redo_param" in changed:
        changes["retry"] = {"delays_seconds": wire["redo_param"]}
    if task.get("enable") is not None:
        changes["enabled"] = task["enable"] != DISABLED
    if task.get("name") is not None:
        changes["name"] = task["name"]
    if "module" in task:
        changes["namespace"] = task["module"] or settings.CRONTAB_DEFAULT_MODULE
    return changes


@contextmanager
def _wire_names(kind: str) -> Iterator[None]:
    """Errors of a callback kind name the crontab field the client sent."""
    try:
        yield
    except JobError as error:
        error.field = _WIRE_NAMES[kind].get(error.field or "", error.field)
        raise


def callback_for(wire: dict[str, Any]) -> dict[str, Any]:
    """The callback JSON for ``method`` post/get (http) or rpc, validated by its kind."""
    kind = "rpc" if wire["method"] == "rpc" else "http"
    with _wire_names(kind):
        callback = _rpc_callback(wire) if kind == "rpc" else _http_callback(wire)
        build_callback(callback)
    return callback


def _http_callback(wire: dict[str, Any]) -> dict[str, Any]:
    """A JSON body is passed through as it is (Content-Type: application/json); a form body is
    a JSON object whose fields are sent form-encoded."""
    callback = {"kind": "http", "url": wire["url"], "method": wire["method"].upper(), "success_regexp": wire["resp_regexp"] or None}
    if not wire["body"]:
        return callback
    if wire["body_type"] == FORM_BODY:
        return callback | {"body": wire["body"], "body_format": "form"}
    return callback | {"body": wire["body"], "body_format": "raw", "headers": {"Content-Type": "application/json"}}


def _rpc_callback(wire: dict[str, Any]) -> dict[str, Any]:
    """``url`` is ``host:port/Service.Method``; the body (JSON) is the call's one argument."""
    match = RPC_URL.fullmatch(wire["url"].strip())
    if match is None:
        raise InvalidCallback(f"must be host:port/Service.Method for method rpc, got {wire['url']!r}", field="url")
    try:
        params = jsontext.loads(wire["body"]) if wire["body"] else None
    except ValueError:
        raise InvalidCallback("must be JSON for method rpc (it is the call's argument)", field="body") from None
    callback = {"kind": "rpc", "address": match["address"], "method": match["method"], "params": params}
    return callback | {"success_regexp": wire["resp_regexp"] or None}


def wire_task_id(task_id: int | None) -> str:
    """A task id as every answer in the seed writes it: a string ("" for none)."""
    return str(task_id) if task_id else ""


def task_result(job: Job | None, task: Any, err: str = "") -> dict[str, Any]:
    """One task's result: its id and name (what was asked for, when there is no such task)."""
    if job is not None:
        return {"task_id": wire_task_id(job.pk), "name": job.name, "err": err}
    asked = task if isinstance(task, dict) else {}
    name = asked.get("name")
    return {
        "task_id": wire_task_id(TaskIdField().to_internal_value(asked.get("task_id"))),
        "name": name if isinstance(name, str) else "",
        "err": err,
    }


def _local(moment: datetime | None) -> str:
    return moment.astimezone(zone_named(settings.CRONTAB_TIME_ZONE)).strftime(TIME_FORMAT) if moment else ""


def _url(job: Job, request: dict[str, Any]) -> str:
    if "url" in request:
        return str(request["url"])
    if "address" in request:
        return f"{request['address']}/{request['method']}"
    return str(job.dialect_data.get("url", ""))


def log_entry(job: Job, execution: Execution) -> dict[str, Any]:
    return {
        "task_id": wire_task_id(job.pk),
        "name": job.name,
        "run_type": RUN_TYPES.get(execution.reason, 1),
        "status": STATUSES.get(execution.status, 1),
        "begin_time": _local(execution.started_at),
        "end_time": _local(execution.finished_at),
        "url": _url(job, execution.request),
        "body": execution.request.get("body", ""),
        "resp": execution.response_body or execution.error,
    }
