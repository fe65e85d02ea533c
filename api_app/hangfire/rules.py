"""The hangfire dialect's rules on top of the job services. Its one write: a task for a registered
service, run now or after a delay, made idempotent by its request id. Jobs are named as DESIGN.md
says: namespace ``service-<serviceId>``, name the request id; see docs/decisions/0102."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tasks_app import selectors, services
from tasks_app.exceptions import Conflict
from tasks_app.models import Dialect, Job
from tasks_app.retry import RetryPolicy


@dataclass(frozen=True)
class Submission:
    job: Job
    duplicate: bool


@dataclass(frozen=True)
class Task:
    """One producer request, in the domain's words."""

    service_id: int
    message_id: int
    data: str
    delay_seconds: int
    transfer: bool
    request_id: str
    client_ip: str
    endpoint: str

    @property
    def namespace(self) -> str:
        return f"service-{self.service_id}"

    def callback(self) -> dict[str, Any]:
        return {
            "kind": "transfer" if self.transfer else "consume",
            "service_id": self.service_id,
            "message_id": self.message_id,
            "data": self.data,
            "request_id": self.request_id,
            "client_ip": self.client_ip,
        }

    def trigger(self) -> dict[str, Any]:
        return {"kind": "delay", "seconds": self.delay_seconds} if self.delay_seconds else {"kind": "now"}


def retry_for(*, service_id: int) -> dict[str, Any]:
    """A service's own retry policy, else the dialect's default (settings.HANGFIRE_RETRY)."""
    own = selectors.service_retry(service_id=service_id)
    return own if own is not None else RetryPolicy.from_json(settings.HANGFIRE_RETRY).to_json()


def _earlier(task: Task) -> Job | None:
    return selectors.job_named(dialect=Dialect.HANGFIRE, namespace=task.namespace, name=task.request_id)


def _fresh(job: Job) -> bool:
    window = timedelta(seconds=settings.HANGFIRE_IDEMPOTENCY_WINDOW_SECONDS)
    return job.created_at >= timezone.now() - window


def _create(task: Task) -> Job:
    return services.create_job(
        dialect=Dialect.HANGFIRE,
        namespace=task.namespace,
        name=task.request_id,
        trigger=task.trigger(),
        callback=task.callback(),
        retry=retry_for(service_id=task.service_id),
        dialect_data={"endpoint": task.endpoint, "delay_seconds": task.delay_seconds},
    )


@transaction.atomic
def submit_task(*, task: Task) -> Submission:
    """Create the task's job, or return the job its request id made within the idempotency
    window. An older job with that id is renamed ``<id>#<job id>`` to free the name."""
    earlier = _earlier(task)
    if earlier is not None and _fresh(earlier):
        return Submission(earlier, duplicate=True)
    if earlier is not None:
        services.update_job(job=earlier, name=f"{task.request_id}#{earlier.pk}")
    try:
        return Submission(_create(task), duplicate=False)
    except Conflict:
        # The same request, made concurrently, won: the unique name is the real guard.
        concurrent = _earlier(task)
        if concurrent is None:
            raise
        return Submission(concurrent, duplicate=True)
