"""The dispatch dialect's task: a Job of dialect ``dispatch`` named (groupCode, jobCode).

Adding a task either creates it or, when the caller allows replacing, replaces its trigger,
recall and priority in one ``update_job`` (one transaction: nothing fires on half of it)."""

from __future__ import annotations

from typing import Any

from tasks_app.exceptions import Conflict, NotFound
from tasks_app.models import Dialect, Job
from tasks_app.services.jobs import create_job, update_job


def _existing(group: str, name: str) -> Job | None:
    return Job.objects.filter(dialect=Dialect.DISPATCH, namespace=group, name=name).first()


def find_dispatch_task(*, group: str, name: str) -> Job:
    """The task named ``name`` in ``group``; raises NotFound."""
    job = _existing(group, name)
    if job is None:
        raise NotFound(f"no task {name!r} in group {group!r}", field="jobName")
    return job


def add_dispatch_task(*, namespace: str, name: str, replace: bool, **fields: Any) -> Job:
    """Create a task; with ``replace`` an existing one gets the new trigger, recall and priority
    (and runs again if it was paused, as Quartz's replacing scheduleJob leaves it); without it an
    existing task is a Conflict."""
    job = _existing(namespace, name)
    if job is None:
        try:
            return create_job(dialect=Dialect.DISPATCH, namespace=namespace, name=name, **fields)
        except Conflict:
            job = _existing(namespace, name)  # another add created it meanwhile
            if not replace or job is None:
                raise
    if not replace:
        raise Conflict(f"task {name!r} already exists in group {namespace!r}; send replace=true to replace it", field="name")
    return update_job(job=job, enabled=True, **fields)
