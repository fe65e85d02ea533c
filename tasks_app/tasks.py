"""Celery tasks: transport only. Each loads by id and calls one service."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from celery import Task, shared_task

from scheduler_project.celery import app
from tasks_app import services
from tasks_app.models import Execution, Job
from tasks_app.outages import skipped_during_outage
from tasks_app.services.task_results import EXECUTE_TASK, TaskRecord
from tasks_app.worker_health import WorkerHeartbeat

# Celery on Redis serves priority 0 first; a job's priority 9 is the most urgent.
TOP_PRIORITY = 9


# ignore_result: the service writes this task's TaskResult itself, once, in the transaction that
# records the attempt (Celery's backend would write STARTED and SUCCESS, two more transactions).
@shared_task(bind=True, name=EXECUTE_TASK, ignore_result=True)
def execute(self: Task, execution_id: int) -> dict[str, Any]:
    request = self.request
    args = request.argsrepr or repr(list(request.args or ()))
    task = TaskRecord(request.id or "", self.name, args, request.kwargsrepr or "{}", request.hostname)
    return services.run_execution(execution_id=execution_id, task=task)


@shared_task(name="tasks_app.tasks.fire_job")
def fire_job(job_id: int) -> int | None:
    """What a job's PeriodicTask runs if a stock beat is ever pointed at it: one manual run."""
    job = Job.objects.filter(pk=job_id).first()
    return services.trigger_job(job=job).pk if job else None


@shared_task(bind=True, name="tasks_app.tasks.execute_many", ignore_result=True)
def execute_many(self: Task, execution_ids: list[int]) -> list[dict[str, Any]]:
    """Several attempts due together, run side by side on the worker's callback threads. Each
    gets its own TaskResult, named as if ``execute`` had run it, under the id
    ``<this task's id>:<execution id>``."""
    request = self.request
    tasks = [TaskRecord(f"{request.id}:{pk}", EXECUTE_TASK, repr([pk]), "{}", request.hostname) for pk in execution_ids]
    return services.run_executions(execution_ids=execution_ids, tasks=tasks)


def send_executions(executions: list[Execution], producer: Any = None) -> None:
    """One message for the group (the dispatcher groups executions of one priority)."""
    options = {"priority": TOP_PRIORITY - executions[0].priority, "producer": producer}
    if len(executions) == 1:
        execute.apply_async(args=[executions[0].pk], **options)
    else:
        execute_many.apply_async(args=[[execution.pk for execution in executions]], **options)


# Heartbeats, broken connections and broker reconnection: see tasks_app.worker_health.
app.steps["worker"].add(WorkerHeartbeat)


@shared_task(name="tasks_app.tasks.expire_queue_leases", ignore_result=True)
def expire_queue_leases() -> int | None:
    """Beat's sweep of queue tasks (CELERY_BEAT_SCHEDULE, every QUEUE_SWEEP_SECONDS)."""
    return skipped_during_outage(services.sweep_queue_tasks)


@shared_task(name="tasks_app.tasks.purge_expired_executions", ignore_result=True)
def purge_expired_executions() -> dict[str, Any] | None:
    """Beat's retention run (CELERY_BEAT_SCHEDULE, every EXECUTION_PURGE_INTERVAL_SECONDS)."""
    purged = skipped_during_outage(services.purge_expired_executions)
    return asdict(purged) if purged else None


@shared_task(name="tasks_app.tasks.vacuum_rewritten_tables", ignore_result=True)
def vacuum_rewritten_tables() -> list[str] | None:
    """Beat's vacuum backstop (CELERY_BEAT_SCHEDULE, every DATABASE_VACUUM_INTERVAL_SECONDS)."""
    return skipped_during_outage(services.vacuum_rewritten_tables)
