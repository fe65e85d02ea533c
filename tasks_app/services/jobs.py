"""Writing jobs: create, update, pause, resume, run now, delete. Every caller (the v1 API, the
dialects, the admin, gRPC, Celery tasks) changes jobs through these functions only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from tasks_app import clock, schedules, scope, secret_headers
from tasks_app import redis as platform_redis
from tasks_app.callbacks import build_callback
from tasks_app.exceptions import Conflict, InvalidInput, NotFound
from tasks_app.models import Dialect, Execution, ExecutionReason, ExecutionStatus, Job, MisfirePolicy, OverlapPolicy
from tasks_app.retry import RetryPolicy
from tasks_app.services import audit
from tasks_app.triggers import new_trigger, stored_trigger

EDITABLE = (
    "namespace", "name", "trigger", "callback", "retry", "enabled", "priority",
    "misfire_policy", "misfire_grace_seconds", "misfire_catchup_limit", "overlap_policy", "dialect_data",
)  # fmt: skip


def _audited(job: Job) -> dict[str, Any]:
    return {name: getattr(job, name) for name in EDITABLE}


def _audit(job: Job, action: str, changes: dict[str, list[Any]]) -> None:
    audit.record(action=action, object_type="job", object_id=job.pk, namespace=job.namespace, changes=changes, label=str(job))


def _wake_on_commit(moment: datetime | None) -> None:
    if moment is not None:
        transaction.on_commit(lambda: platform_redis.wake_scheduler(moment.timestamp()))


def _label(value: Any, *, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("is required", field=field)
    if len(value) > 200:
        raise InvalidInput("is longer than 200 characters", field=field)
    return value.strip()


def _choice(value: Any, choices: type, *, field: str) -> str:
    if value not in choices.values:  # type: ignore[attr-defined]
        raise InvalidInput(f"must be one of {', '.join(choices.values)}", field=field)  # type: ignore[attr-defined]
    return str(value)


def _whole(value: Any, *, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"must be a whole number from {low} to {high}", field=field)
    return value


def _clean(changes: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Validate what a caller sets; triggers, callbacks and retries are stored normalised."""
    cleaners = {
        "namespace": lambda v: _label(v, field="namespace"),
        "name": lambda v: _label(v, field="name"),
        "trigger": lambda v: new_trigger(v, now=now).to_json(),
        "callback": lambda v: build_callback(v, check_references=True).to_json(),
        "retry": lambda v: RetryPolicy.from_json(v).to_json(),
        "enabled": lambda v: bool(v),
        "priority": lambda v: _whole(v, field="priority", low=0, high=9),
        "misfire_policy": lambda v: _choice(v, MisfirePolicy, field="misfire_policy"),
        "misfire_grace_seconds": lambda v: _whole(v, field="misfire_grace_seconds", low=0, high=10**7),
        "misfire_catchup_limit": lambda v: _whole(v, field="misfire_catchup_limit", low=1, high=10_000),
        "overlap_policy": lambda v: _choice(v, OverlapPolicy, field="overlap_policy"),
        "dialect_data": lambda v: dict(v or {}),
    }
    unknown = sorted(set(changes) - set(cleaners))
    if unknown:
        raise InvalidInput(f"cannot be set: {', '.join(unknown)}", field=unknown[0])
    return {name: cleaners[name](value) for name, value in changes.items()}


def _save_schedule(job: Job, *, reschedule: bool, now: datetime) -> None:
    if reschedule:
        job.next_fire_at = stored_trigger(job.trigger).upcoming(now, job.fire_count) if job.enabled else job.next_fire_at
        job.time_zone = job.trigger.get("time_zone") or job.time_zone
    job.save()
    schedules.sync_periodic_task(job)
    if job.enabled:
        _wake_on_commit(job.next_fire_at)


def create_job(
    *, dialect: str = Dialect.V1, namespace: str, name: str, trigger: dict[str, Any], callback: dict[str, Any], **options: Any
) -> Job:
    """Create a job and its schedule; raises InvalidInput (naming the field) or Conflict."""
    now = clock.now()
    _require_room(_label(namespace, field="namespace"))  # before the callback's references are looked up in scope
    values = _clean({"namespace": namespace, "name": name, "trigger": trigger, "callback": callback, **options}, now)
    job = Job(dialect=_choice(dialect, Dialect, field="dialect"), time_zone=values["trigger"]["time_zone"], **values)
    try:
        with transaction.atomic():
            _save_schedule(job, reschedule=True, now=now)
            _audit(job, "create", audit.diff({}, {"dialect": job.dialect, **_audited(job)}))
    except IntegrityError:
        raise Conflict(f"a {dialect} job named {job.name!r} already exists in {job.namespace!r}", field="name") from None
    return job


def _require_room(namespace: str) -> None:
    """The caller may create here, and its token's job quota (counted in its namespaces) has room."""
    caller = scope.current()
    caller.require_write(namespace)
    if caller.max_jobs is not None:
        caller.require_room_for_job(Job.objects.count())


def _locked(job: Job) -> Job:
    return Job.objects.select_for_update(of=("self",)).select_related("periodic_task").get(pk=job.pk)


def update_job(*, job: Job, _action: str = "update", **changes: Any) -> Job:
    """Change some of a job's fields; a new trigger starts its schedule afresh. ``_action``
    names the change in the audit trail (pause and resume are updates of ``enabled``)."""
    now = clock.now()
    scope.current().require_write(job.namespace)  # before the callback's references are looked up in scope
    if "callback" in changes:  # header values sent back as "***" keep the stored ones
        stored = Job.objects.filter(pk=job.pk).values_list("callback", flat=True).first()
        changes["callback"] = secret_headers.keep_masked_callback(changes["callback"], stored)
    values = _clean(changes, now)
    scope.current().require_write(values.get("namespace", job.namespace))
    try:
        with transaction.atomic():
            job = _locked(job)
            before = _audited(job)
            _take_back_claimed_ahead(job, now)
            new_trigger = "trigger" in values and values["trigger"] != job.trigger
            resumed = values.get("enabled") is True and not job.enabled
            for name, value in values.items():
                setattr(job, name, value)
            job.disabled_reason = ""  # a change or a resume is the operator's answer to it
            if new_trigger:
                job.fire_count = 0
            _save_schedule(job, reschedule=new_trigger or resumed, now=now)
            _audit(job, _action, audit.diff(before, _audited(job)))
    except IntegrityError:
        raise Conflict(f"a job named {job.name!r} already exists in {job.namespace!r}", field="name") from None
    return job


def _take_back_claimed_ahead(job: Job, now: datetime) -> None:
    """The beat claims occurrences a moment before they are due (SCHEDULER_CLAIM_AHEAD_SECONDS),
    and sends them a moment before too (SCHEDULER_SEND_AHEAD_SECONDS). Those not yet due and
    not yet taken by a worker go back to the job, so a change made just before one applies to it.
    (One a worker already holds, at most SCHEDULER_SEND_AHEAD_SECONDS before it is due, fires.)"""
    ahead = job.executions.filter(status=ExecutionStatus.QUEUED, reason=ExecutionReason.SCHEDULE, attempt=1, scheduled_for__gt=now)
    # Locked first: a beat sending one of them holds its lock (we wait, then take it back: the
    # worker's claim then finds nothing), and a beat that comes after skips the rows we hold.
    # Nothing is both taken back and called.
    claimed = dict(ahead.select_for_update().values_list("pk", "scheduled_for"))
    if claimed:
        Execution.objects.filter(pk__in=claimed).delete()
        job.next_fire_at, job.fire_count = min(claimed.values()), job.fire_count - len(claimed)


def pause_job(*, job: Job) -> Job:
    return update_job(job=job, enabled=False, _action="pause")


def resume_job(*, job: Job) -> Job:
    return update_job(job=job, enabled=True, _action="resume")


def trigger_job(*, job: Job, reason: str = ExecutionReason.MANUAL) -> Execution:
    """Run a job now, whatever its schedule or state; its schedule does not change."""
    scope.current().require_write(job.namespace)
    now = clock.now()
    try:
        with transaction.atomic():
            execution = Execution.objects.create(job=job, scheduled_for=now, attempt=1, reason=reason, due_at=now, priority=job.priority)
            _audit(job, "trigger", {"execution": [None, execution.pk]})
    except IntegrityError:
        if Job.objects.filter(pk=job.pk).exists():
            raise
        raise NotFound(f"no job {job.pk}: it was deleted", field="id") from None  # by a concurrent delete
    _wake_on_commit(now)
    return execution


@transaction.atomic
def delete_job(*, job: Job) -> None:
    """Delete a job and its schedule; its executions stay (for the log's retention)."""
    scope.current().require_write(job.namespace)
    # The job's row first, as every change takes it: deleting its PeriodicTask marks beat's
    # one-row change table and then nulls the job's link, so a change of this job holding the
    # row and waiting for that table would otherwise deadlock with us.
    job = _locked(job)
    _take_back_claimed_ahead(job, clock.now())
    job.executions.filter(status="queued").update(status="skipped", error="job deleted", finished_at=clock.now())
    schedules.delete_periodic_task(job)
    _audit(job, "delete", audit.diff(_audited(job), {}))
    job.delete()
