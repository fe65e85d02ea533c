"""The crontab dialect's rules on top of the job services: a task is a crontab job whose name is
unique across all modules (the original's names were global, and update/query/run-again find a
task by name alone), found by id or else by name, with its attempts read back as a paged log.

Each change is one transaction, lookup included: a task of a batch that fails writes nothing,
and the batch's other tasks still go through (``actions.each_task``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from api_app.crontab.mapping import job_changes
from api_app.pagination import numbered_page
from tasks_app import scope, selectors, services
from tasks_app.exceptions import Conflict, NotFound
from tasks_app.models import Dialect, Execution, Job


def _claim_name(name: str, *, job_id: int | None = None) -> None:
    holder = services.hold_job_name(dialect=Dialect.CRONTAB, name=name, other_than=job_id)
    # Every module's names count, the caller's scope notwithstanding: names are global (the
    # module of a task the caller may not see is not named).
    if holder is not None and not scope.current().sees(holder.namespace):
        raise Conflict(f"a task named {name!r} already exists in another module", field="name")
    if holder is not None:
        raise Conflict(f"a task named {name!r} already exists (task_id {holder.pk}, module {holder.namespace!r})", field="name")


@transaction.atomic
def create_task(*, module: str, name: str, trigger: dict[str, Any], callback: dict[str, Any], **options: Any) -> Job:
    """Create a crontab task; raises Conflict when any module already has a task of that name."""
    _claim_name(name)
    return services.create_job(dialect=Dialect.CRONTAB, namespace=module, name=name, trigger=trigger, callback=callback, **options)


@transaction.atomic
def update_task(*, given: dict[str, Any], now: datetime) -> Job:
    """Change what ``given`` (update_task's wire fields) changes of the task it names by
    ``task_id``, else by ``name``; its id stays. Found by its name, the name is the key, not a change."""
    wire = dict(given)
    task_id = wire.pop("task_id", None)
    job = find_task(task_id=task_id, name=wire.get("name"))
    if task_id is None or job.pk != task_id:
        wire.pop("name", None)
    changes = job_changes(job, wire, now=now)
    if "name" in changes and changes["name"] != job.name:
        _claim_name(changes["name"], job_id=job.pk)
    return services.update_job(job=job, **changes)


@transaction.atomic
def run_again(*, task_id: int | None = None, name: str | None = None) -> Job:
    """Run the task now, its schedule unchanged."""
    job = find_task(task_id=task_id, name=name)
    services.trigger_job(job=job)
    return job


def find_task(*, task_id: int | None = None, name: str | None = None) -> Job:
    """The task with ``task_id`` when there is one, else the task named ``name``."""
    job = selectors.job_of(dialect=Dialect.CRONTAB, job_id=task_id) if task_id else None
    if job is None and name:
        job = selectors.job_named(dialect=Dialect.CRONTAB, name=name)
    if job is None:
        raise NotFound(_missing(task_id, name), field="task_id" if task_id else "name")
    return job


def _missing(task_id: int | None, name: str | None) -> str:
    wanted = [f"task_id {task_id}"] * bool(task_id) + [f"name {name!r}"] * bool(name)
    return f"no task with {' or '.join(wanted)}" if wanted else "neither task_id nor name was given"


def task_log(*, job: Job, page: int = 1, page_size: int = 100) -> tuple[int, list[Execution]]:
    """A page of a task's attempts that began, newest first, and their total. Attempts still
    waiting (a retry's delay, a queued run) are not in the log yet."""
    return numbered_page(selectors.attempts_begun(job=job), number=page, size=page_size)
