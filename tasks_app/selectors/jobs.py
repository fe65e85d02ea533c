"""Reading jobs and their attempts as the dialects find them: by the name a dialect gives a job
(its dialect, namespace and name, DESIGN.md's naming table), by id within a dialect, and a job's
attempts newest first. Every query goes through the scoped managers, so a caller never sees
another tenant's rows."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from tasks_app.models import Execution, ExecutionStatus, Job, Service


def jobs_named(
    *, dialect: str | None = None, namespace: str | None = None, name: str | None = None, name_contains: str | None = None
) -> QuerySet[Job]:
    """Jobs by their name's parts, newest first; a part left out (None) matches every value, an
    empty one only the empty value. ``name_contains`` matches part of the name, in any case."""
    parts = {"dialect": dialect, "namespace": namespace, "name": name, "name__icontains": name_contains}
    return Job.objects.filter(**{lookup: value for lookup, value in parts.items() if value is not None}).order_by("-id")


def job_named(*, dialect: str, namespace: str | None = None, name: str) -> Job | None:
    """The job of ``dialect`` called ``name`` in ``namespace``. Without a namespace (a dialect
    whose names are unique across its namespaces), the oldest job of that name the caller sees."""
    return jobs_named(dialect=dialect, namespace=namespace, name=name).order_by("id").first()


def job_of(*, dialect: str, job_id: int, namespace: str | None = None) -> Job | None:
    """The job of ``dialect`` with this id (in ``namespace``, when given): a job of another
    dialect or namespace is not found, as if it did not exist."""
    return jobs_named(dialect=dialect, namespace=namespace).filter(pk=job_id).first()


def executions(*, job: Job | int | str | None = None, status: str | None = None, reason: str | None = None) -> QuerySet[Execution]:
    """Attempts, newest first; a filter left out (None) matches every value."""
    filters = {"job": job, "status": status, "reason": reason}
    return Execution.objects.filter(**{field: value for field, value in filters.items() if value is not None}).order_by("-id")


def attempts_begun(*, job: Job) -> QuerySet[Execution]:
    """A job's attempts that started (or were skipped), newest first: one still waiting (a
    retry's delay, a queued run) has not begun."""
    return executions(job=job).exclude(status=ExecutionStatus.QUEUED)


def service_retry(*, service_id: int) -> dict[str, Any] | None:
    """The retry policy a registered service sets for its jobs (None: it sets none, or there is
    no such service)."""
    service = Service.objects.filter(service_id=service_id).only("retry").first()
    return service.retry if service is not None else None
