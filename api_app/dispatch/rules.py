"""The dispatch dialect's rules on top of the job services: a task is a job of dialect
``dispatch`` named (groupCode, jobCode). Adding one either creates it or, when the caller allows
replacing, gives the existing task the new trigger, recall and priority, and runs it again if it
was paused, as Quartz's replacing ``scheduleJob`` leaves it."""

from __future__ import annotations

from typing import Any

from tasks_app import selectors, services
from tasks_app.exceptions import Conflict, NotFound
from tasks_app.models import Dialect, Job


def find_task(*, group: str, name: str) -> Job:
    """The task named ``name`` in ``group``; raises NotFound."""
    job = selectors.job_named(dialect=Dialect.DISPATCH, namespace=group, name=name)
    if job is None:
        raise NotFound(f"no task {name!r} in group {group!r}", field="jobName")
    return job


def add_task(*, namespace: str, name: str, replace: bool, **fields: Any) -> Job:
    """Create a task; with ``replace`` an existing one is replaced, without it it is a Conflict."""
    if replace:
        return services.create_or_replace_job(dialect=Dialect.DISPATCH, namespace=namespace, name=name, enabled=True, **fields)
    if selectors.job_named(dialect=Dialect.DISPATCH, namespace=namespace, name=name) is not None:
        raise Conflict(f"task {name!r} already exists in group {namespace!r}; send replace=true to replace it", field="name")
    return services.create_job(dialect=Dialect.DISPATCH, namespace=namespace, name=name, **fields)
