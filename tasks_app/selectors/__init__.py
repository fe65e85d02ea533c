"""The domain's reads, a module per reader: the operator console's bounded queries, jobs as the
dialects find them, and pull-queue tasks. Import them from here: ``from tasks_app import selectors``."""

from __future__ import annotations

from tasks_app.selectors.console import (
    FINISHED,
    JOB_STATES,
    FailingJob,
    HourBucket,
    Lateness,
    Tally,
    bounded_count,
    execution_states,
    executions_per_hour,
    failing_jobs,
    fire_lateness,
    job_states,
    jobs_with_last_outcome,
    latest_executions,
    next_fires,
    overdue,
    planner_estimate,
    task_result,
    with_last_outcome,
)
from tasks_app.selectors.jobs import attempts_begun, executions, job_named, job_of, jobs_named, service_retry
from tasks_app.selectors.queues import queue_length, queue_task, queue_task_by_hash_code, queue_tasks_of_owner

__all__ = [
    "FINISHED",
    "JOB_STATES",
    "FailingJob",
    "HourBucket",
    "Lateness",
    "Tally",
    "attempts_begun",
    "bounded_count",
    "execution_states",
    "executions",
    "executions_per_hour",
    "failing_jobs",
    "fire_lateness",
    "job_named",
    "job_of",
    "job_states",
    "jobs_named",
    "jobs_with_last_outcome",
    "latest_executions",
    "next_fires",
    "overdue",
    "planner_estimate",
    "queue_length",
    "queue_task",
    "queue_task_by_hash_code",
    "queue_tasks_of_owner",
    "service_retry",
    "task_result",
    "with_last_outcome",
]
