"""Attempts an operator or a callee starts or ends: a retry of a finished attempt, the report of a
pending one, and an attempt made in this process rather than by a worker. Their lifecycle is
tasks_app.attempts'."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from tasks_app import attempts, scope
from tasks_app.attempts.task_results import TaskRecord
from tasks_app.callbacks import Outcome
from tasks_app.exceptions import InvalidInput, NotFound
from tasks_app.models import Execution, ExecutionReason, ExecutionStatus
from tasks_app.services import audit
from tasks_app.worker import runtime


def run_execution(*, execution_id: int, task_id: str = "", task: TaskRecord | None = None) -> dict[str, Any]:
    """Make one attempt here, as a worker would (with this process's runtime): the management
    commands and the tests run attempts this way. Returns its summary."""
    return attempts.run_execution(execution_id=execution_id, task=task or TaskRecord(task_id), runtime=runtime.current())


def retry_execution(*, execution: Execution) -> Execution:
    """An operator's retry of a finished attempt: one more attempt of the same occurrence, now."""
    if execution.status not in (ExecutionStatus.FAILED, ExecutionStatus.SUCCEEDED, ExecutionStatus.SKIPPED):
        raise InvalidInput(f"execution {execution.pk} is {execution.status}; only a finished one can be retried", field="status")
    if execution.job_id is None or execution.job is None:
        raise InvalidInput("its job was deleted", field="job")
    scope.current().require_write(execution.job.namespace, field="job")
    with transaction.atomic():
        latest = (
            Execution.objects.filter(job_id=execution.job_id, scheduled_for=execution.scheduled_for)
            .order_by("-attempt").values_list("attempt", flat=True).first()
        )  # fmt: skip
        retry = attempts.queue_attempt(execution, attempt=(latest or 0) + 1, due_at=timezone.now(), reason=ExecutionReason.MANUAL)
        job = execution.job
        audit.record(
            action="retry", object_type="job", object_id=execution.job_id, namespace=job.namespace if job else "",
            changes={"execution": [execution.pk, retry.pk]}, label=str(job),
        )  # fmt: skip
        return retry


def complete_pending(*, execution_id: int, succeeded: bool, response_body: str = "") -> Execution:
    """A callee that answered 'pending' reports the outcome of its attempt later."""
    with transaction.atomic():
        execution = Execution.objects.select_for_update(of=("self",)).select_related("job").filter(pk=execution_id).first()
        if execution is None:
            raise NotFound(f"no execution {execution_id}", field="id")
        scope.current().require_write(execution.job.namespace if execution.job else "", field="id")
        if execution.status != ExecutionStatus.RUNNING:
            raise InvalidInput(f"execution {execution_id} is already {execution.status}", field="id")
        outcome = Outcome(
            succeeded=succeeded, request=execution.request, response_status=execution.response_status,
            response_headers=execution.response_headers, response_body=response_body,
            error="" if succeeded else "reported as failed",
        )  # fmt: skip
        attempts.record_outcome(execution=execution, outcome=outcome)
    return execution
