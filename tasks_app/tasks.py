"""Celery tasks: transport only. Each loads by id and calls one service; an attempt's tasks call
its lifecycle (tasks_app.attempts) with the worker's runtime (tasks_app.worker)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from celery import Task, shared_task
from django.conf import settings

from scheduler_project.celery import app
from tasks_app import attempts, services
from tasks_app.attempts.task_results import EXECUTE_TASK, AttemptFailed, TaskRecord
from tasks_app.models import Execution, ExecutionStatus, Job
from tasks_app.outages import skipped_during_outage
from tasks_app.worker import runtime
from tasks_app.worker.health import WorkerHeartbeat
from tasks_app.worker.runtime import WorkerRuntime

# Celery on Redis serves priority 0 first; a job's priority 9 is the most urgent.
TOP_PRIORITY = 9


def _raise_on_failure(summaries: list[dict[str, Any]]) -> None:
    """A task whose attempt failed ends failed (after its outcome is recorded), so the worker's
    task events and Flower say so. ``throws``: Celery logs it in one line, not as a crash."""
    failed = [s for s in summaries if s.get("status") == ExecutionStatus.FAILED]
    if failed:
        raise AttemptFailed("; ".join(f"execution {s['execution']}: {s.get('error') or 'failed'}" for s in failed))


# ignore_result: the service writes this task's TaskResult itself, once, in the transaction that
# records the attempt (Celery's backend would write STARTED and SUCCESS, two more transactions).
@shared_task(bind=True, name=EXECUTE_TASK, ignore_result=True, throws=(AttemptFailed,))
def execute(self: Task, execution_id: int) -> dict[str, Any]:
    request = self.request
    args = request.argsrepr or repr(list(request.args or ()))
    task = TaskRecord(request.id or "", self.name, args, request.kwargsrepr or "{}", request.hostname)
    summary = attempts.run_execution(execution_id=execution_id, task=task, runtime=runtime.current())
    _raise_on_failure([summary])
    return summary


@shared_task(name="tasks_app.tasks.fire_job")
def fire_job(job_id: int) -> int | None:
    """What a job's PeriodicTask runs if a stock beat is ever pointed at it: one manual run."""
    job = Job.objects.filter(pk=job_id).first()
    return services.trigger_job(job=job).pk if job else None


@shared_task(bind=True, name="tasks_app.tasks.execute_many", ignore_result=True, throws=(AttemptFailed,))
def execute_many(self: Task, execution_ids: list[int]) -> list[dict[str, Any]]:
    """Several attempts due together, run side by side on the worker's callback threads. Each
    gets its own TaskResult, named as if ``execute`` had run it, under the id
    ``<this task's id>:<execution id>``."""
    request = self.request
    tasks = [TaskRecord(f"{request.id}:{pk}", EXECUTE_TASK, repr([pk]), "{}", request.hostname) for pk in execution_ids]
    summaries = attempts.run_executions(execution_ids=execution_ids, tasks=tasks, runtime=runtime.current())
    _raise_on_failure(summaries)
    return summaries


def send_executions(executions: list[Execution], producer: Any = None) -> None:
    """One message for the group (the dispatcher groups executions of one priority)."""
    options = {"priority": TOP_PRIORITY - executions[0].priority, "producer": producer}
    if len(executions) == 1:
        execute.apply_async(args=[executions[0].pk], **options)
    else:
        execute_many.apply_async(args=[[execution.pk for execution in executions]], **options)


# Heartbeats, broken connections and broker reconnection: see tasks_app.worker.health. The
# runtime an attempt runs on: see tasks_app.worker.runtime.
app.steps["worker"].update({WorkerHeartbeat, WorkerRuntime})


# Housekeeping sends no task events: at every QUEUE_SWEEP_SECONDS it would fill Flower's list.
@shared_task(name="tasks_app.tasks.expire_queue_leases", ignore_result=True, send_events=False)
def expire_queue_leases() -> int | None:
    """Beat's sweep of queue tasks (CELERY_BEAT_SCHEDULE, every QUEUE_SWEEP_SECONDS)."""
    return skipped_during_outage(services.sweep_queue_tasks)


@shared_task(name="tasks_app.tasks.purge_expired_executions", ignore_result=True, send_events=False)
def purge_expired_executions() -> dict[str, Any] | None:
    """Beat's retention run (CELERY_BEAT_SCHEDULE, every EXECUTION_PURGE_INTERVAL_SECONDS)."""
    purged = skipped_during_outage(services.purge_expired_executions)
    return asdict(purged) if purged else None


@shared_task(name="tasks_app.tasks.vacuum_rewritten_tables", ignore_result=True, send_events=False)
def vacuum_rewritten_tables() -> list[str] | None:
    """Beat's vacuum backstop (CELERY_BEAT_SCHEDULE, every DATABASE_VACUUM_INTERVAL_SECONDS)."""
    return skipped_during_outage(services.vacuum_rewritten_tables)


@shared_task(bind=True, name="tasks_app.tasks.deliver_alert", ignore_result=True)
def deliver_alert(self: Task, rule_id: int, notice: dict[str, Any]) -> None:
    """An alert rule's notice, retried after each of ALERT_RETRY_DELAYS_SECONDS."""
    tries = self.request.retries
    try:
        services.alerts.deliver_notice(rule_id=rule_id, notice=notice, first_try=tries == 0, transport=runtime.current().transport)
    except services.alerts.AlertNotDelivered as error:
        delays = settings.ALERT_RETRY_DELAYS_SECONDS
        if tries >= len(delays):
            raise
        raise self.retry(countdown=delays[tries], exc=error, max_retries=len(delays)) from error
