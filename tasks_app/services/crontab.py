"""The crontab dialect's rules on top of the job services: a task is a crontab job whose name is
unique across all modules (the original's names were global, and update/query/run-again find a
task by name alone), found by id or else by name, with its attempts read back as a paged log."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import connection, transaction

from tasks_app import scope
from tasks_app.exceptions import Conflict, NotFound
from tasks_app.models import Dialect, Execution, ExecutionStatus, Job
from tasks_app.services.jobs import create_job, update_job


def _lock_name(name: str) -> None:
    """Serialise writers of one task name until the transaction ends. SQLite needs nothing:
    its transactions begin IMMEDIATE, so writers are already serialised."""
    if connection.vendor == "postgresql":
        key = int.from_bytes(hashlib.blake2b(f"crontab:{name}".encode(), digest_size=8).digest(), "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _claim_name(name: str, *, job_id: int | None = None) -> None:
    _lock_name(name)
    # Every module's names, the caller's scope notwithstanding: names are global (the module of
    # a task the caller may not see is not named).
    holder = Job._base_manager.filter(dialect=Dialect.CRONTAB, name=name).exclude(pk=job_id or 0).first()
    if holder is not None and not scope.current().sees(holder.namespace):
        raise Conflict(f"a task named {name!r} already exists in another module", field="name")
    if holder is not None:
        raise Conflict(f"a task named {name!r} already exists (task_id {holder.pk}, module {holder.namespace!r})", field="name")


def create_crontab_task(*, module: str, name: str, trigger: dict[str, Any], callback: dict[str, Any], **options: Any) -> Job:
    """Create a crontab task; raises Conflict when any module already has a task of that name."""
    with transaction.atomic():
        _claim_name(name)
        return create_job(dialect=Dialect.CRONTAB, namespace=module, name=name, trigger=trigger, callback=callback, **options)


def update_crontab_task(*, job: Job, **changes: Any) -> Job:
    """Change some of a task's fields (``namespace`` is its module); its id stays."""
    with transaction.atomic():
        if "name" in changes and changes["name"] != job.name:
            _claim_name(changes["name"], job_id=job.pk)
        return update_job(job=job, **changes)


def find_crontab_task(*, task_id: int | None = None, name: str | None = None) -> Job:
    """The task with ``task_id`` when there is one, else the task named ``name``."""
    tasks = Job.objects.filter(dialect=Dialect.CRONTAB)
    job = tasks.filter(pk=task_id).first() if task_id else None
    if job is None and name:
        job = tasks.filter(name=name).first()
    if job is None:
        raise NotFound(_missing(task_id, name), field="task_id" if task_id else "name")
    return job


def _missing(task_id: int | None, name: str | None) -> str:
    wanted = [f"task_id {task_id}"] * bool(task_id) + [f"name {name!r}"] * bool(name)
    return f"no task with {' or '.join(wanted)}" if wanted else "neither task_id nor name was given"


def crontab_task_log(*, job: Job, page: int = 1, page_size: int = 100) -> tuple[int, list[Execution]]:
    """A page of a task's attempts that started (or were skipped), newest first, and their total.
    Attempts still waiting (a retry's delay, a queued run) are not in the log yet."""
    attempts = Execution.objects.filter(job=job).exclude(status=ExecutionStatus.QUEUED)
    start = (page - 1) * page_size
    return attempts.count(), list(attempts.order_by("-id")[start : start + page_size])
