"""What follows the end of attempts, once their outcomes are committed: the Prometheus counters
(tasks_app.metrics) and the alert rules (tasks_app.services.alerts). Neither may fail or slow the
write that recorded the outcomes: both run after the commit and swallow their own errors."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from tasks_app.metrics import counters
from tasks_app.models import Execution, ExecutionStatus

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ended:
    """An attempt that ended (its job loaded with at least dialect, namespace and callback) and,
    when it made a call, how many seconds the call took."""

    execution: Execution
    call_seconds: float | None = None


def _sample(ended: Ended) -> counters.Sample:
    execution, job = ended.execution, ended.execution.job
    called = execution.status != ExecutionStatus.SKIPPED and execution.started_at is not None
    lateness = (execution.started_at - execution.due_at).total_seconds() if called else None  # type: ignore[operator]
    return counters.Sample(
        outcome=execution.status, dialect=job.dialect if job else "", namespace=job.namespace if job else "",
        kind=str((job.callback or {}).get("kind", "")) if job else "", lateness_seconds=lateness, duration_seconds=ended.call_seconds,
    )  # fmt: skip


def _after_commit(ended: Sequence[Ended]) -> None:
    from tasks_app.services import alerts  # the alert rules read the registry of rules: loaded late

    try:
        counters.count([_sample(item) for item in ended])
        alerts.attempts_ended([item.execution for item in ended])
    except Exception:  # observers of an outcome never undo or delay it
        logger.exception("could not report %d ended attempt(s) to metrics and alerts", len(ended))


def attempts_ended(ended: Sequence[Ended]) -> None:
    """Call inside the transaction that records the outcomes; acts once it commits."""
    finished = [
        item for item in ended if item.execution.status in (ExecutionStatus.SUCCEEDED, ExecutionStatus.FAILED, ExecutionStatus.SKIPPED)
    ]
    if finished:
        transaction.on_commit(lambda: _after_commit(finished))
