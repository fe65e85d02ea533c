"""An attempt (one Execution) from claim to record: ``lifecycle`` walks it in order, calling
``claims`` (queued -> running, given back, still held), ``task_results`` (the Celery-level record)
and ``ended`` (metrics and alert rules once it ends). Beat's firing and the worker's tasks call
in here; nothing here imports beat's modules."""

from __future__ import annotations

from tasks_app.attempts.lifecycle import (
    HELD,
    queue_attempt,
    record_outcome,
    release_held_attempt,
    release_held_attempts,
    run_execution,
    run_executions,
)

__all__ = [
    "HELD",
    "queue_attempt",
    "record_outcome",
    "release_held_attempt",
    "release_held_attempts",
    "run_execution",
    "run_executions",
]
