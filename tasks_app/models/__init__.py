"""The domain's models, a module per concern; import them from here."""

from __future__ import annotations

from tasks_app.models.alerts import AlertRule, AlertState
from tasks_app.models.audit import AuditEntry
from tasks_app.models.jobs import (
    Dialect,
    Execution,
    ExecutionReason,
    ExecutionStatus,
    Job,
    JobState,
    MisfirePolicy,
    OverlapPolicy,
)
from tasks_app.models.queues import QueueTask, QueueTaskEvent, QueueTaskEventKind, QueueTaskState
from tasks_app.models.registry import Service, ServiceRoute
from tasks_app.models.tenancy import ApiClient, SigningSecret

__all__ = [
    "AlertRule",
    "AlertState",
    "AuditEntry",
    "ApiClient",
    "Dialect",
    "Execution",
    "ExecutionReason",
    "ExecutionStatus",
    "Job",
    "JobState",
    "MisfirePolicy",
    "OverlapPolicy",
    "QueueTask",
    "QueueTaskEvent",
    "QueueTaskEventKind",
    "QueueTaskState",
    "Service",
    "ServiceRoute",
    "SigningSecret",
]
