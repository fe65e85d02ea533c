"""The only writers of the domain. Import from here: ``from tasks_app import services``."""

from __future__ import annotations

from tasks_app.services import hangfire, registry  # the hangfire dialect and the service registry
from tasks_app.services.executions import complete_pending, record_outcome, retry_execution, run_execution
from tasks_app.services.firing import claim_due_occurrences, dispatch_due_executions, next_due_at, recover_lost_executions
from tasks_app.services.jobs import create_job, delete_job, pause_job, resume_job, trigger_job, update_job

__all__ = [
    "claim_due_occurrences",
    "complete_pending",
    "create_job",
    "delete_job",
    "dispatch_due_executions",
    "next_due_at",
    "pause_job",
    "record_outcome",
    "recover_lost_executions",
    "resume_job",
    "retry_execution",
    "run_execution",
    "trigger_job",
    "update_job",
    "hangfire",
    "registry",
]
