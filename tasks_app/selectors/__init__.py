"""The domain's reads, a module per reader: the operator console's bounded queries, jobs as the
dialects find them, pull-queue tasks, the service registry, alert rules and the audit trail, and
API clients. Import them from here: ``from tasks_app import selectors``."""

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
from tasks_app.selectors.operators import alert_rules, audit_entries
from tasks_app.selectors.queues import queue_length, queue_task, queue_task_by_hash_code, queue_tasks_of_owner
from tasks_app.selectors.registry import registered_services, service_routes
from tasks_app.selectors.tenancy import api_client_for_key, api_clients

__all__ = [
    "FINISHED",
    "JOB_STATES",
    "FailingJob",
    "HourBucket",
    "Lateness",
    "Tally",
    "alert_rules",
    "api_client_for_key",
    "api_clients",
    "attempts_begun",
    "audit_entries",
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
    "registered_services",
    "service_retry",
    "service_routes",
    "task_result",
    "with_last_outcome",
]
