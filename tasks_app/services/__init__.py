"""The only writers of the domain. Import from here: ``from tasks_app import services``."""

from __future__ import annotations

import importlib
from typing import Any

from tasks_app.attempts import record_outcome
from tasks_app.maintenance import purge_expired_executions, vacuum_rewritten_tables

# Modules used by name: alert rules, the audit trail and the service registry.
from tasks_app.services import alerts, audit, registry
from tasks_app.services.broker_loss import resend_unclaimed
from tasks_app.services.executions import complete_pending, retry_execution, run_execution
from tasks_app.services.jobs import create_job, delete_job, pause_job, resume_job, trigger_job, update_job
from tasks_app.services.named_jobs import create_or_replace_job, hold_job_name
from tasks_app.services.queue_handout import receive_queue_task, report_queue_task
from tasks_app.services.queues import (
    cancel_queue_task,
    create_queue_task,
    expire_queue_leases,
    held_leases,
    repair_ready_queues,
    return_queue_tasks,
    sweep_queue_tasks,
)

__all__ = [
    "alerts",
    "audit",
    "cancel_queue_task",
    "claim_due_occurrences",
    "complete_pending",
    "create_job",
    "create_or_replace_job",
    "create_queue_task",
    "delete_job",
    "dispatch_due_executions",
    "expire_queue_leases",
    "held_leases",
    "hold_job_name",
    "next_due",
    "pause_job",
    "purge_expired_executions",
    "receive_queue_task",
    "record_outcome",
    "recover_lost_executions",
    "registry",
    "repair_ready_queues",
    "report_queue_task",
    "resend_unclaimed",
    "resume_job",
    "retry_execution",
    "return_queue_tasks",
    "run_execution",
    "sweep_queue_tasks",
    "trigger_job",
    "update_job",
    "vacuum_rewritten_tables",
]

# Beat's verbs load on first use: a worker imports this package for its own verbs and must not
# load beat's module (docs/architecture.md); ``services.claim_due_occurrences`` still works.
_BEAT_VERBS = {"claim_due_occurrences", "dispatch_due_executions", "next_due", "recover_lost_executions"}


def __getattr__(name: str) -> Any:
    if name in _BEAT_VERBS or name == "firing":
        firing = importlib.import_module("tasks_app.services.firing")
        return firing if name == "firing" else getattr(firing, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
