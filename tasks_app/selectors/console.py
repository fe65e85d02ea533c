"""Read-only queries for the operator console. Each is bounded, so that it costs the same at
100k jobs and 1M executions as at ten: time windows on indexed columns, LIMITs, and counts that
stop at a cap (with PostgreSQL's planner estimate past it) instead of counting whole tables."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import connections
from django.db.models import Count, DurationField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncHour
from django.utils import timezone
from django_celery_results.models import TaskResult

from tasks_app.models import Execution, ExecutionReason, ExecutionStatus, Job, JobState

FINISHED = (ExecutionStatus.SUCCEEDED, ExecutionStatus.FAILED, ExecutionStatus.SKIPPED)
# Outcomes most jobs do not have: a filter on them starts from the executions that had them.
RARE_OUTCOMES = (ExecutionStatus.FAILED, ExecutionStatus.SKIPPED)
JOB_STATES = {
    JobState.SCHEDULED: Q(enabled=True, next_fire_at__isnull=False),
    JobState.PAUSED: Q(enabled=False),
    JobState.FINISHED: Q(enabled=True, next_fire_at__isnull=True),
}
COUNT_CAP = 10_000
LATENESS_SAMPLE = 20_000
# An hour's execution counts are final this long after it ends (an attempt that ended just before
# the hour did may commit just after), and then cached for a little longer than the chart shows.
HOUR_SETTLES_AFTER = timedelta(minutes=5)
HOUR_CACHE_SECONDS = 26 * 3600


@dataclass(frozen=True)
class Tally:
    """A count that may be a lower bound (``capped``) or the planner's estimate (``estimated``)."""

    value: int
    capped: bool = False
    estimated: bool = False

    def __str__(self) -> str:
        if self.estimated:
            return f"≈ {self.value:,}"
        return f"{self.value:,}+" if self.capped else f"{self.value:,}"


def planner_estimate(queryset: QuerySet[Any]) -> int | None:
    """PostgreSQL's estimate of the rows a query returns (from its statistics), or None elsewhere."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def bounded_count(queryset: QuerySet[Any], *, cap: int = COUNT_CAP) -> Tally:
    """Exact up to ``cap`` (counting at most cap + 1 rows); past it, the planner's estimate."""
    counted = queryset.order_by().values("pk")[: cap + 1].count()
    if counted <= cap:
        return Tally(counted)
    estimate = planner_estimate(queryset.order_by().values("pk"))
    return Tally(max(estimate, counted), estimated=True) if estimate is not None else Tally(cap, capped=True)


# --- jobs ------------------------------------------------------------------------------------


def last_outcome() -> Subquery:
    """The status of a job's latest finished execution (one probe of execution_job_newest)."""
    latest = Execution.objects.filter(job=OuterRef("pk"), status__in=FINISHED).order_by("-id").values("status")[:1]
    return Subquery(latest)


def with_last_outcome(jobs: QuerySet[Job]) -> QuerySet[Job]:
    return jobs.annotate(last_outcome=last_outcome())


def jobs_with_last_outcome(jobs: QuerySet[Job], outcome: str) -> QuerySet[Job]:
    """Jobs whose latest finished execution has this outcome. For a rare outcome, only jobs that
    ever had it are looked at (a partial index lists them), not every job in the table."""
    if outcome in RARE_OUTCOMES:
        jobs = jobs.filter(pk__in=Execution.objects.filter(status=outcome).values("job_id"))
    return with_last_outcome(jobs).filter(**{"last_outcome": outcome})


def job_states() -> dict[str, Tally]:
    return {state: bounded_count(Job.objects.filter(condition)) for state, condition in JOB_STATES.items()}


def execution_states(*, cap: int = 1000) -> dict[str, Tally]:
    """Attempts per status, each counted to ``cap`` (then estimated): the console's tabs."""
    return {status: bounded_count(Execution.objects.filter(status=status), cap=cap) for status in ExecutionStatus.values}


def next_fires(*, limit: int = 10) -> list[Job]:
    """The soonest occurrences, read from the scheduler's own index (job_due)."""
    due = Job.objects.filter(enabled=True, next_fire_at__isnull=False).order_by("next_fire_at")
    return list(due.only("id", "dialect", "namespace", "name", "trigger", "time_zone", "next_fire_at", "enabled")[:limit])


def latest_executions(job: Job, *, limit: int = 20) -> list[Execution]:
    return list(job.executions.order_by("-id").defer("request", "response_headers", "response_body")[:limit])


# --- executions ------------------------------------------------------------------------------


@dataclass
class HourBucket:
    hour: datetime
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _hour_key(hour: datetime) -> str:
    return f"console:executions-in-hour:{hour.astimezone(UTC).isoformat()}"


def _hours(now: datetime, count: int) -> list[datetime]:
    """The starts of the last ``count`` hours (the current one last), in the current time zone,
    as TruncHour returns them; stepped in UTC so that a DST change cannot skew them."""
    start = timezone.localtime(now).replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    return [timezone.localtime(start - timedelta(hours=back)) for back in range(count - 1, -1, -1)]


def executions_per_hour(*, now: datetime, hours: int = 24) -> list[HourBucket]:
    """Finished executions by hour and outcome, a range scan of execution_finished. An attempt's
    finished_at is written once, when it ends, so an hour that ended a while ago never changes:
    its counts are cached, and a dashboard reads only the hours since (usually the current one)."""
    buckets = [HourBucket(hour) for hour in _hours(now, hours)]
    settled = [b for b in buckets if b.hour + timedelta(hours=1) + HOUR_SETTLES_AFTER <= now]
    cached = cache.get_many([_hour_key(b.hour) for b in settled])
    for bucket in settled:
        bucket.counts = dict(cached.get(_hour_key(bucket.hour), {}))
    todo = {b.hour: b for b in buckets if _hour_key(b.hour) not in cached}
    if todo:
        rows = (
            Execution.objects.filter(finished_at__gte=min(todo))
            .annotate(hour=TruncHour("finished_at"))
            .values("hour", "status")
            .annotate(n=Count("*"))
            .order_by()
        )
        for row in rows:
            if row["hour"] in todo:
                todo[row["hour"]].counts[row["status"]] = row["n"]
    cache.set_many({_hour_key(b.hour): b.counts for b in settled if b.hour in todo}, timeout=HOUR_CACHE_SECONDS)
    return buckets


@dataclass(frozen=True)
class Lateness:
    """How long after their scheduled moment attempts started, in milliseconds."""

    samples: int
    p50: int | None
    p99: int | None


def _ms(value: timedelta | None) -> int | None:
    return None if value is None else round(value / timedelta(milliseconds=1))


def fire_lateness(*, now: datetime, window: timedelta = timedelta(hours=1)) -> Lateness:
    """p50/p99 (nearest rank) of start minus due for scheduled attempts that finished within the
    window, the latest LATENESS_SAMPLE of them; the database subtracts and sorts."""
    recent = Execution.objects.filter(finished_at__gte=now - window, reason=ExecutionReason.SCHEDULE, started_at__isnull=False)
    sample = recent.order_by("-finished_at").values("pk")[:LATENESS_SAMPLE]
    lateness = ExpressionWrapper(F("started_at") - F("due_at"), output_field=DurationField())
    ordered = list(
        Execution.objects.filter(pk__in=Subquery(sample))
        .annotate(lateness=lateness)
        .order_by("lateness")
        .values_list("lateness", flat=True)
    )
    if not ordered:
        return Lateness(0, None, None)
    p50, p99 = (ordered[math.ceil(len(ordered) * fraction) - 1] for fraction in (0.5, 0.99))
    return Lateness(len(ordered), _ms(p50), _ms(p99))


def overdue(*, now: datetime, grace: timedelta = timedelta(minutes=1)) -> Tally:
    """Attempts waiting well past their time: not sent though due (no beat), or sent and not taken
    (a backlog, or no workers). Each half reads the scheduler's own partial index."""
    queued = Execution.objects.filter(status=ExecutionStatus.QUEUED)
    unsent = bounded_count(queued.filter(dispatched_at__isnull=True, due_at__lt=now - grace), cap=1000)
    untaken = bounded_count(queued.filter(dispatched_at__isnull=False, dispatched_at__lt=now - grace), cap=1000)
    return Tally(unsent.value + untaken.value, capped=unsent.capped or untaken.capped, estimated=unsent.estimated or untaken.estimated)


@dataclass(frozen=True)
class FailingJob:
    job: Job
    failures: int


def failing_jobs(*, now: datetime, window: timedelta = timedelta(hours=24), limit: int = 10) -> list[FailingJob]:
    """The jobs with the most failed attempts in the window, with their latest error."""
    counts = (
        Execution.objects.filter(status=ExecutionStatus.FAILED, finished_at__gte=now - window, job__isnull=False)
        .values("job")
        .annotate(failures=Count("*"))
        .order_by("-failures", "job")[:limit]
    )
    failures = {row["job"]: row["failures"] for row in counts}
    latest_error = Execution.objects.filter(job=OuterRef("pk"), status=ExecutionStatus.FAILED).order_by("-id").values("error")[:1]
    jobs = Job.objects.filter(pk__in=failures).annotate(last_error=Subquery(latest_error))
    return sorted((FailingJob(job, failures[job.pk]) for job in jobs), key=lambda f: (-f.failures, f.job.pk))


def task_result(execution: Execution) -> TaskResult | None:
    """The django-celery-results row of an attempt's Celery task (unique on task_id)."""
    if not execution.task_id:
        return None
    return TaskResult.objects.filter(task_id=execution.task_id).only("pk", "task_id", "status").first()
