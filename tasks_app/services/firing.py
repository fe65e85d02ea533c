"""The scheduler's writes. Three steps, each one short transaction over a bounded batch:

1. ``claim_due_occurrences``: lock due jobs (SKIP LOCKED), write an Execution per occurrence
   (unique per job, occurrence and attempt), advance each job's ``next_fire_at``.
2. ``dispatch_due_executions``: mark queued, undispatched executions that are due as sent
   (one UPDATE that locks them, SKIP LOCKED) and send them to the broker (grouped into
   messages) before that transaction commits: two beats never send the same one.
3. ``recover_lost_executions``: re-queue attempts whose worker died, and re-send messages the
   broker lost, so nothing stays queued or running forever.

On SQLite, where there is no FOR UPDATE, transactions begin IMMEDIATE (see settings), which
serialises claimers just as well.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet

from tasks_app import clock, schedules, sql
from tasks_app.attempts import HELD, release_held_attempts
from tasks_app.attempts.ended import Ended, attempts_ended
from tasks_app.models import Execution, ExecutionStatus, Job, MisfirePolicy, OverlapPolicy
from tasks_app.triggers import stored_trigger

logger = logging.getLogger(__name__)
# Occurrences looked at for one job in one claim; a job further behind continues next time.
MAX_OCCURRENCES_PER_CLAIM = 1000
UNFINISHED = (ExecutionStatus.QUEUED, ExecutionStatus.RUNNING)


@dataclass
class Plan:
    """What one claim does for one job."""

    fire: list[datetime] = field(default_factory=list)
    skip: list[datetime] = field(default_factory=list)
    next_fire_at: datetime | None = None
    fired: int = 0


def plan_occurrences(job: Job, now: datetime, until: datetime | None = None) -> Plan:
    """Walk a job's occurrences up to ``until`` (now by default) and apply its misfire policy to
    those already late ``now``."""
    trigger = stored_trigger(job.trigger)
    grace = timedelta(seconds=job.misfire_grace_seconds)
    plan = Plan(next_fire_at=job.next_fire_at, fired=job.fire_count)
    late_fired, until = 0, until or now
    while plan.next_fire_at is not None and plan.next_fire_at <= until and len(plan.fire) + len(plan.skip) < MAX_OCCURRENCES_PER_CLAIM:
        moment = plan.next_fire_at
        on_time = now - moment <= grace
        if on_time or _fires_when_late(job, late_fired):
            plan.fire.append(moment)
            late_fired += not on_time
        else:
            plan.skip.append(moment)
        plan.fired += 1
        plan.next_fire_at = _after(moment, trigger.next_fire(moment, plan.fired))
    return plan


class TriggerFault(Exception):
    """A stored trigger that cannot be followed (edited by hand, or a bug): its job is disabled."""


def _after(previous: datetime, following: datetime | None) -> datetime | None:
    """The next occurrence, which must come after the previous one and be a moment the database
    can store (in UTC): else the trigger would fire the same moment forever, or not at all."""
    if following is None:
        return None
    try:
        following.astimezone(UTC)
    except OverflowError:
        raise TriggerFault(f"its next occurrence {following!r} is out of range") from None
    if following <= previous:
        raise TriggerFault(f"its occurrence after {previous.isoformat()} is not later ({following.isoformat()})")
    return following


def _fires_when_late(job: Job, late_fired: int) -> bool:
    if job.misfire_policy == MisfirePolicy.FIRE_ONCE:
        return late_fired == 0
    if job.misfire_policy == MisfirePolicy.FIRE_ALL:
        return late_fired < job.misfire_catchup_limit
    return False


def _skipped(job: Job, moment: datetime, now: datetime, why: str) -> Execution:
    return Execution(
        job=job, scheduled_for=moment, due_at=moment, priority=job.priority, status=ExecutionStatus.SKIPPED,
        finished_at=now, error=why,
    )  # fmt: skip


def _executions_for(job: Job, plan: Plan, now: datetime, busy: dict[int, set[str]]) -> Iterable[Execution]:
    """The plan as rows, after the overlap policy: while an earlier run is unfinished, ``skip``
    records the occurrence as skipped and ``queue`` holds one attempt back until it ends."""
    for moment in plan.skip:
        yield _skipped(job, moment, now, f"missed by more than {job.misfire_grace_seconds}s ({job.misfire_policy})")
    unfinished = busy.get(job.pk, set())
    for moment in plan.fire:
        if job.overlap_policy == OverlapPolicy.ALLOW or not unfinished:
            yield Execution(job=job, scheduled_for=moment, due_at=moment, priority=job.priority)
            unfinished = unfinished | {"running"} if job.overlap_policy != OverlapPolicy.ALLOW else unfinished
        elif job.overlap_policy == OverlapPolicy.QUEUE and "held" not in unfinished:
            yield Execution(job=job, scheduled_for=moment, due_at=HELD, priority=job.priority)
            unfinished = unfinished | {"held"}
        else:
            yield _skipped(job, moment, now, f"the previous run was still unfinished ({job.overlap_policy})")


def _unfinished_runs(jobs: list[Job]) -> dict[int, set[str]]:
    """For jobs whose overlap policy cares: which have an unfinished run, and which a held one."""
    careful = [job.pk for job in jobs if job.overlap_policy != OverlapPolicy.ALLOW]
    busy: dict[int, set[str]] = {}
    if careful:
        rows = Execution.objects.filter(job_id__in=careful, status__in=UNFINISHED).values_list("job_id", "due_at")
        for job_id, due_at in rows:
            busy.setdefault(job_id, set()).add("held" if due_at == HELD else "running")
    return busy


def claim_due_occurrences(*, now: datetime | None = None, until: datetime | None = None, limit: int | None = None) -> int:
    """Step 1, for the occurrences due by ``until`` (now by default; the beat claims a moment
    ahead, so that when they fall due only step 2 stands between them and the broker). Returns
    how many executions were written."""
    now = now or clock.now()
    with transaction.atomic():
        jobs = list(
            Job.objects.select_for_update(skip_locked=True)
            .filter(enabled=True, next_fire_at__lte=until or now)
            .order_by("next_fire_at")[: limit or settings.SCHEDULER_BATCH_SIZE]
        )
        executions: list[Execution] = []
        finished: list[int] = []
        busy = _unfinished_runs(jobs)
        planned = [(job, plan) for job in jobs if (plan := _plan_or_disable(job, now, until)) is not None]
        for job, plan in planned:
            executions.extend(_executions_for(job, plan, now, busy))
            job.next_fire_at, job.fire_count = plan.next_fire_at, plan.fired
            if plan.next_fire_at is None:
                finished.append(job.pk)
        sql.insert_each(executions)
        attempts_ended([Ended(e) for e in executions if e.status == ExecutionStatus.SKIPPED])
        sql.update_each([job for job, _ in planned], ["next_fire_at", "fire_count"])
        _disable_broken([job for job in jobs if not job.enabled])
        schedules.disable_finished(finished)
    return len(executions)


def _plan_or_disable(job: Job, now: datetime, until: datetime | None) -> Plan | None:
    """A job's plan; None, with the job marked disabled and why, when its trigger raises. As
    django-celery-beat does with a bad row: log it and disable it, never stop the others."""
    try:
        return plan_occurrences(job, now, until)
    except Exception as error:  # whatever a broken row raises, every other job must still fire
        job.enabled, job.disabled_reason = False, f"disabled by the scheduler at {now.isoformat()}: {type(error).__name__}: {error}"
        logger.error("job %s disabled: its trigger failed: %s", job.pk, job.disabled_reason, exc_info=error)
        return None


def _disable_broken(jobs: list[Job]) -> None:
    if jobs:
        sql.update_each(jobs, ["enabled", "disabled_reason"])
        schedules.disable_finished([job.pk for job in jobs])


# Publishes one broker message carrying the executions given (all of one priority).
Sender = Callable[[list[Execution]], None]


def dispatch_due_executions(*, send: Sender, now: datetime | None = None, ahead: timedelta = timedelta(0), limit: int | None = None) -> int:
    """Step 2. Sends the executions due by ``now + ahead`` (the worker calls each at its due
    time). Executions due together travel together: up to EXECUTION_MESSAGE_SIZE of one
    priority per message, so a burst costs the broker and the worker one message per group,
    not one per execution. Returns how many executions were sent."""
    now = now or clock.now()
    with transaction.atomic():
        due = _mark_dispatched(now, now + ahead, limit or settings.SCHEDULER_BATCH_SIZE)
        for group in message_groups(due, settings.EXECUTION_MESSAGE_SIZE):
            send(group)
    return len(due)


def _mark_dispatched(now: datetime, due_by: datetime, limit: int) -> list[Execution]:
    """Mark the earliest due executions sent and return them, in one statement: their rows stay
    locked until the caller's transaction, which sends them, commits (SKIP LOCKED: another
    beat takes the next ones). Earliest due first."""
    table = sql.quote(Execution._meta.db_table)
    lock = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    # The status is written into the SQL, not bound, so a prepared plan uses the partial index.
    statement = (
        f"UPDATE {table} SET dispatched_at = %s WHERE id IN (SELECT id FROM {table}"
        f" WHERE status = '{ExecutionStatus.QUEUED}' AND dispatched_at IS NULL AND due_at <= %s ORDER BY due_at LIMIT %s{lock})"
        f" RETURNING id, priority, due_at"
    )
    at, by = sql.prep(sql.field(Execution, "dispatched_at"), now), sql.prep(sql.field(Execution, "due_at"), due_by)
    names = ["id", "priority", "due_at"]
    marked = sql.select(statement, [at, by, limit], [sql.field(Execution, name) for name in names])
    return sorted((sql.partial(Execution, dict(zip(names, row, strict=True))) for row in marked), key=lambda e: e.due_at)


def message_groups(executions: list[Execution], size: int) -> Iterable[list[Execution]]:
    """Chunks of at most ``size`` executions of one priority, the most urgent first."""
    by_priority: dict[int, list[Execution]] = {}
    for execution in executions:
        by_priority.setdefault(execution.priority, []).append(execution)
    for priority in sorted(by_priority, reverse=True):
        group = by_priority[priority]
        for start in range(0, len(group), size):
            yield group[start : start + size]


def _fail_unreported(attempts: QuerySet[Execution], now: datetime) -> int:
    """Attempts whose callee accepted the call but never reported: failed, not called again. The
    attempt that a "queue one" job held behind one of them becomes due."""
    found = dict(attempts.values_list("pk", "job_id"))
    job_ids = set(found.values())
    failed = attempts.update(status=ExecutionStatus.FAILED, awaiting_report=False, finished_at=now, error="no report before the deadline")
    if failed:
        attempts_ended([Ended(e) for e in Execution.objects.filter(pk__in=found, status=ExecutionStatus.FAILED).select_related("job")])
        release_held_attempts(job_ids, now)
    return failed


def recover_lost_executions(*, now: datetime | None = None) -> int:
    """Step 3. A running attempt past its deadline lost its worker: it is queued again (the same
    attempt: it never completed). One awaiting its callee's report was made and accepted: it is
    failed, not called again. A queued message unclaimed for too long is sent again; a
    duplicate is harmless, the worker's queued->running claim lets only one through."""
    now = now or clock.now()
    overdue = Execution.objects.filter(status=ExecutionStatus.RUNNING, deadline_at__lt=now)
    unreported = _fail_unreported(overdue.filter(awaiting_report=True), now)
    orphaned = overdue.filter(awaiting_report=False).update(
        status=ExecutionStatus.QUEUED, dispatched_at=None, started_at=None, deadline_at=None, due_at=now,
        error="worker lost during the attempt; queued again",
    )  # fmt: skip
    resend_before = now - timedelta(seconds=settings.EXECUTION_REDISPATCH_AFTER_SECONDS)
    unclaimed = Execution.objects.filter(status=ExecutionStatus.QUEUED, dispatched_at__lt=resend_before).update(dispatched_at=None)
    if unreported or orphaned or unclaimed:
        logger.warning(
            "recovery: %d attempt(s) whose worker was lost queued again, %d never reported failed, %d unclaimed sent again",
            orphaned, unreported, unclaimed,
        )  # fmt: skip
    return unreported + orphaned + unclaimed


@dataclass(frozen=True)
class NextDue:
    """What the beat waits for: the next occurrence of any job, and the next attempt to send."""

    occurrence: datetime | None
    attempt: datetime | None


def next_due() -> NextDue:
    """One round trip, each half served by its partial index (the beat asks after every tick)."""
    jobs, executions = sql.quote(Job._meta.db_table), sql.quote(Execution._meta.db_table)
    # The status is written into the SQL, not bound: a prepared statement's generic plan could
    # not prove a bound value matches the partial index's condition.
    statement = (
        f"SELECT (SELECT next_fire_at FROM {jobs} WHERE enabled AND next_fire_at IS NOT NULL ORDER BY next_fire_at LIMIT 1),"
        f" (SELECT due_at FROM {executions} WHERE status = '{ExecutionStatus.QUEUED}' AND dispatched_at IS NULL"
        f" ORDER BY due_at LIMIT 1)"
    )
    occurrence, attempt = sql.select(statement, [], [sql.field(Job, "next_fire_at"), sql.field(Execution, "due_at")])[0]
    return NextDue(occurrence, attempt)


__all__ = ["claim_due_occurrences", "dispatch_due_executions", "next_due", "recover_lost_executions"]
