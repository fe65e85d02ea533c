"""Running one attempt: claim it (queued -> running), call its callback, record the outcome, and
queue the retry its job's policy allows. Retries wait in the database, never in the broker."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tasks_app import redis as platform_redis
from tasks_app.callbacks import Callback, CallContext, Outcome, build_callback
from tasks_app.exceptions import InvalidInput, NotFound
from tasks_app.models import Execution, ExecutionReason, ExecutionStatus, Job
from tasks_app.retry import RetryPolicy
from tasks_app.services.firing import release_held_attempt

logger = logging.getLogger(__name__)


def _claim(execution_id: int, task_id: str) -> tuple[Execution, Callback] | None:
    """Move a queued execution to running; None when it is not queued (a duplicate message,
    or one that another worker already took)."""
    execution = Execution.objects.select_related("job").filter(pk=execution_id).first()
    if execution is None or execution.status != ExecutionStatus.QUEUED or execution.job is None:
        return None
    callback = build_callback(execution.job.callback)
    now = timezone.now()
    deadline = now + timedelta(seconds=callback.timeout_seconds + settings.EXECUTION_RECOVERY_GRACE_SECONDS)
    claimed = Execution.objects.filter(pk=execution_id, status=ExecutionStatus.QUEUED).update(
        status=ExecutionStatus.RUNNING, started_at=now, deadline_at=deadline, task_id=task_id
    )
    if not claimed:
        return None
    execution.status, execution.started_at, execution.deadline_at, execution.task_id = (
        ExecutionStatus.RUNNING, now, deadline, task_id,
    )  # fmt: skip
    return execution, callback


def run_execution(*, execution_id: int, task_id: str = "") -> dict[str, Any]:
    """Make one attempt; the summary returned is what django-celery-results stores."""
    claimed = _claim(execution_id, task_id)
    if claimed is None:
        return {"execution": execution_id, "status": "not-queued"}
    execution, callback = claimed
    context = CallContext(execution.pk, execution.job_id or 0, execution.attempt, execution.scheduled_for)
    try:
        outcome = callback.call(context)
    except Exception as error:  # a bug in a callback kind must still end the attempt
        logger.exception("callback of %s raised", execution)
        outcome = Outcome(succeeded=False, request={}, error=f"{type(error).__name__}: {error}", retryable=False)
    record_outcome(execution=execution, outcome=outcome)
    return {"execution": execution.pk, "status": execution.status, "response_status": outcome.response_status}


def _retry_delay(job: Job, execution: Execution, outcome: Outcome) -> float | None:
    if outcome.succeeded or outcome.pending or not outcome.retryable:
        return None
    delay = RetryPolicy.from_json(job.retry).delay_before(execution.attempt + 1)
    if delay is None:
        return None
    return max(delay, outcome.retry_after_seconds or 0)


def _reported_already(execution: Execution) -> bool:
    """A callee may report (complete_pending) before its "accepted, report later" answer is
    recorded; then the report stands and only the call's own details are added to it."""
    status = Execution.objects.select_for_update().filter(pk=execution.pk).values_list("status", flat=True).first()
    return status != ExecutionStatus.RUNNING


def _await_report(execution: Execution, outcome: Outcome, now: datetime) -> None:
    execution.status = ExecutionStatus.RUNNING
    execution.awaiting_report = True
    within = outcome.report_within_seconds or settings.CALLBACK_MAX_TIMEOUT_SECONDS
    execution.deadline_at = now + timedelta(seconds=within)


@transaction.atomic
def record_outcome(*, execution: Execution, outcome: Outcome, now: datetime | None = None) -> None:
    """Write an attempt's outcome, and its retry when the policy allows one. A pending outcome
    keeps the attempt running, awaiting the callee's report until its deadline."""
    now = now or timezone.now()
    if outcome.pending and _reported_already(execution):
        details = {"request": outcome.request, "response_status": outcome.response_status, "response_headers": outcome.response_headers}
        Execution.objects.filter(pk=execution.pk).update(**details)
        return
    if outcome.pending:
        _await_report(execution, outcome, now)
    else:
        execution.status = ExecutionStatus.SUCCEEDED if outcome.succeeded else ExecutionStatus.FAILED
        execution.finished_at = now
        execution.awaiting_report = False
    execution.request = outcome.request
    execution.response_status = outcome.response_status
    execution.response_headers = outcome.response_headers
    execution.response_body = outcome.response_body
    execution.error = outcome.error
    execution.save(
        update_fields=[
            "status", "finished_at", "awaiting_report", "deadline_at", "request",
            "response_status", "response_headers", "response_body", "error",
        ]
    )  # fmt: skip
    if not outcome.pending:
        release_held_attempt(execution)
    delay = _retry_delay(execution.job, execution, outcome) if execution.job else None
    if delay is not None:
        _queue_attempt(execution, attempt=execution.attempt + 1, due_at=now + timedelta(seconds=delay), reason=ExecutionReason.RETRY)


def _queue_attempt(execution: Execution, *, attempt: int, due_at: datetime, reason: str) -> Execution:
    retry = Execution.objects.create(
        job_id=execution.job_id,
        scheduled_for=execution.scheduled_for,
        attempt=attempt,
        reason=reason,
        due_at=due_at,
        priority=execution.priority,
    )
    transaction.on_commit(lambda: platform_redis.wake_scheduler(due_at.timestamp()))
    return retry


def retry_execution(*, execution: Execution) -> Execution:
    """An operator's retry of a finished attempt: one more attempt of the same occurrence, now."""
    if execution.status not in (ExecutionStatus.FAILED, ExecutionStatus.SUCCEEDED, ExecutionStatus.SKIPPED):
        raise InvalidInput(f"execution {execution.pk} is {execution.status}; only a finished one can be retried", field="status")
    if execution.job_id is None:
        raise InvalidInput("its job was deleted", field="job")
    with transaction.atomic():
        latest = (
            Execution.objects.filter(job_id=execution.job_id, scheduled_for=execution.scheduled_for)
            .order_by("-attempt").values_list("attempt", flat=True).first()
        )  # fmt: skip
        return _queue_attempt(execution, attempt=(latest or 0) + 1, due_at=timezone.now(), reason=ExecutionReason.MANUAL)


def complete_pending(*, execution_id: int, succeeded: bool, response_body: str = "") -> Execution:
    """A callee that answered 'pending' reports the outcome of its attempt later."""
    with transaction.atomic():
        execution = Execution.objects.select_for_update(of=("self",)).select_related("job").filter(pk=execution_id).first()
        if execution is None:
            raise NotFound(f"no execution {execution_id}", field="id")
        if execution.status != ExecutionStatus.RUNNING:
            raise InvalidInput(f"execution {execution_id} is already {execution.status}", field="id")
        outcome = Outcome(
            succeeded=succeeded, request=execution.request, response_status=execution.response_status,
            response_body=response_body, error="" if succeeded else "reported as failed",
        )  # fmt: skip
        record_outcome(execution=execution, outcome=outcome)
    return execution
