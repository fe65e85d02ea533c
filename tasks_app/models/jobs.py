"""The domain: a Job (what to call, when, with which retry policy) and its Executions (one row
per attempt). Nothing dialect-specific lives here beyond the dialect's name and its opaque data."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q
from django_celery_beat.models import PeriodicTask

from tasks_app.models.scoped import ExecutionManager, JobManager


class Dialect(models.TextChoices):
    V1 = "v1"
    HANGFIRE = "hangfire"
    XTIMER = "xtimer"
    CRONTAB = "crontab"
    DISPATCH = "dispatch"


class JobState(models.TextChoices):
    SCHEDULED = "scheduled"
    PAUSED = "paused"
    FINISHED = "finished"


class MisfirePolicy(models.TextChoices):
    FIRE_ONCE = "fire_once", "fire once now"
    SKIP = "skip", "skip to the next"
    FIRE_ALL = "fire_all", "fire every missed occurrence (up to a cap)"


class OverlapPolicy(models.TextChoices):
    ALLOW = "allow"
    SKIP = "skip", "skip while running"
    QUEUE = "queue", "queue one"


class Job(models.Model):
    dialect = models.CharField(max_length=16, choices=Dialect.choices, default=Dialect.V1)
    namespace = models.CharField(max_length=200)
    name = models.CharField(max_length=200)
    trigger = models.JSONField()
    callback = models.JSONField()
    retry = models.JSONField(default=dict, blank=True)
    time_zone = models.CharField(max_length=64)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.TextField(
        blank=True, default="", help_text="why the scheduler disabled this job (its trigger failed); cleared when it is changed or resumed"
    )
    priority = models.SmallIntegerField(default=0, help_text="0-9, higher runs first when workers are busy")
    # The index the scheduler reads: the next occurrence of each enabled job (None: no more).
    next_fire_at = models.DateTimeField(null=True, blank=True)
    fire_count = models.PositiveIntegerField(default=0, help_text="occurrences fired so far")
    misfire_policy = models.CharField(max_length=16, choices=MisfirePolicy.choices, default=MisfirePolicy.FIRE_ONCE)
    misfire_grace_seconds = models.PositiveIntegerField(default=60)
    misfire_catchup_limit = models.PositiveIntegerField(default=10)
    overlap_policy = models.CharField(max_length=16, choices=OverlapPolicy.choices, default=OverlapPolicy.ALLOW)
    periodic_task = models.OneToOneField(PeriodicTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="job", editable=False)
    # What a dialect needs to answer in its own words (its ids, types, original fields).
    dialect_data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = JobManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dialect", "namespace", "name"], name="job_unique_name_in_namespace"),
        ]
        indexes = [
            models.Index(fields=["next_fire_at"], name="job_due", condition=Q(enabled=True, next_fire_at__isnull=False)),
            models.Index(fields=["namespace", "name"], name="job_namespace_name"),
            # The console's state filter and counts (tasks_app.selectors.JOB_STATES).
            models.Index(fields=["id"], name="job_paused", condition=Q(enabled=False)),
            models.Index(fields=["id"], name="job_finished", condition=Q(enabled=True, next_fire_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.dialect}:{self.namespace}/{self.name}"

    @property
    def state(self) -> str:
        if not self.enabled:
            return JobState.PAUSED
        return JobState.SCHEDULED if self.next_fire_at else JobState.FINISHED


class ExecutionReason(models.TextChoices):
    SCHEDULE = "schedule"
    RETRY = "retry"
    MANUAL = "manual"


class ExecutionStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


class Execution(models.Model):
    """One attempt of one occurrence. Written before the callback is attempted: the database,
    not the broker, knows what is waiting, running and done."""

    job = models.ForeignKey(Job, null=True, on_delete=models.SET_NULL, related_name="executions")
    scheduled_for = models.DateTimeField(help_text="the occurrence this attempt belongs to")
    attempt = models.PositiveSmallIntegerField(default=1)
    reason = models.CharField(max_length=16, choices=ExecutionReason.choices, default=ExecutionReason.SCHEDULE)
    status = models.CharField(max_length=16, choices=ExecutionStatus.choices, default=ExecutionStatus.QUEUED)
    priority = models.SmallIntegerField(default=0)
    due_at = models.DateTimeField(help_text="when this attempt may start")
    dispatched_at = models.DateTimeField(null=True, blank=True, help_text="when it was sent to the broker")
    started_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True, help_text="re-queued if still running after this")
    # The callee accepted the call and reports its outcome later (Outcome.pending): past its
    # deadline such an attempt is failed, not re-queued (the call was made; its report is missing).
    awaiting_report = models.BooleanField(default=False)
    finished_at = models.DateTimeField(null=True, blank=True)
    request = models.JSONField(default=dict, blank=True)
    response_status = models.IntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    response_body = models.TextField(blank=True, default="")
    error = models.TextField(blank=True, default="")
    task_id = models.CharField(max_length=255, blank=True, default="", db_index=True, help_text="Celery task id")

    objects = ExecutionManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "scheduled_for", "attempt"], name="execution_once_per_attempt"),
        ]
        indexes = [
            models.Index(fields=["job", "-id"], name="execution_job_newest"),
            models.Index(fields=["due_at"], name="execution_to_dispatch", condition=Q(status="queued", dispatched_at__isnull=True)),
            models.Index(fields=["deadline_at"], name="execution_running", condition=Q(status="running")),
            models.Index(fields=["job"], name="execution_unfinished", condition=Q(status__in=["queued", "running"])),
            models.Index(fields=["dispatched_at"], name="execution_dispatched", condition=Q(status="queued", dispatched_at__isnull=False)),
            # The console's time windows (executions per hour, lateness) and its last-outcome filters.
            models.Index(fields=["finished_at", "status"], name="execution_finished"),
            models.Index(fields=["finished_at", "job"], name="execution_failures", condition=Q(status="failed")),
            models.Index(fields=["job"], name="execution_skips", condition=Q(status="skipped")),
            # A job's last outcome from the index alone (no heap visit per job listed or filtered).
            models.Index(
                fields=["job", "-id", "status"],
                name="execution_job_outcome",
                condition=Q(status__in=["succeeded", "failed", "skipped"]),
            ),
        ]

    def __str__(self) -> str:
        return f"execution {self.pk} of job {self.job_id} (attempt {self.attempt})"

    @property
    def lateness_ms(self) -> int | None:
        """How long after it was due the attempt started (for retries, after the retry was due)."""
        return _ms_between(self.due_at, self.started_at)


def _ms_between(start: datetime | None, end: datetime | None) -> int | None:
    return None if start is None or end is None else round((end - start).total_seconds() * 1000)
