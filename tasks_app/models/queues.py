"""Pull-queue tasks (the standard.proto Queues service): workers receive them from a channel,
hold them under a lease and report the result. They are their own model, not Jobs: nothing
calls them, workers come for them.

The database is the truth. The ready queue in Redis (``tasks_app.queues_ready``) is an index of
the rows that are WAITING with a ``ready_at``; it is rebuilt from them when it drifts."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from tasks_app.models.scoped import QueueTaskManager

DEFAULT_RETRY_MAX_LIMIT = 3


class QueueTaskState(models.TextChoices):
    WAITING = "WAITING"
    PROCEEDING = "PROCEEDING"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    CANCEL = "CANCEL"


FINAL_STATES = (QueueTaskState.SUCCESS, QueueTaskState.FAILURE, QueueTaskState.CANCEL)


class QueueTask(models.Model):
    channel = models.CharField(max_length=200)
    hash_code = models.CharField(max_length=128, unique=True)
    owner = models.PositiveBigIntegerField(default=0)
    state = models.CharField(max_length=16, choices=QueueTaskState.choices, default=QueueTaskState.WAITING)
    input = models.TextField(blank=True, default="")
    output = models.TextField(blank=True, default="")
    # A chain: this task is handed out only after ``prior`` succeeded; ``next`` follows it.
    prior = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    next = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    retry_count = models.PositiveIntegerField(default=0)
    retry_max_limit = models.PositiveIntegerField(default=DEFAULT_RETRY_MAX_LIMIT)
    # Set while WAITING and ready to hand out (the queue's order: oldest first); None otherwise.
    ready_at = models.DateTimeField(null=True, blank=True)
    # How many times it was handed out: a lease is (id, deliveries), so a stale release or a
    # stale lease expiry never touches a later delivery of the same task.
    deliveries = models.PositiveIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QueueTaskManager()

    class Meta:
        indexes = [
            models.Index(fields=["channel", "ready_at"], name="queuetask_ready", condition=Q(state="WAITING", ready_at__isnull=False)),
            models.Index(fields=["lease_expires_at"], name="queuetask_leased", condition=Q(state="PROCEEDING")),
            models.Index(fields=["owner", "id"], name="queuetask_owner"),
        ]

    def __str__(self) -> str:
        return f"queue task {self.pk} ({self.channel}, {self.state})"


class QueueTaskEventKind(models.TextChoices):
    CREATED = "created"
    READY = "ready", "ready (its prior succeeded)"
    HANDED_OUT = "handed_out", "handed out"
    SUCCEEDED = "succeeded"
    FAILED = "failed", "reported failed"
    RETRY_REQUESTED = "retry_requested", "retry requested"
    LEASE_EXPIRED = "lease_expired", "lease expired"
    RETURNED = "returned", "returned by a closed stream"
    CANCELLED = "cancelled"


class QueueTaskEvent(models.Model):
    """A task's history: one row per change of state, shown in the admin."""

    task = models.ForeignKey(QueueTask, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=QueueTaskEventKind.choices)
    state = models.CharField(max_length=16, choices=QueueTaskState.choices, help_text="the task's state after it")
    retry_count = models.PositiveIntegerField(default=0)
    delivery = models.PositiveIntegerField(default=0)
    note = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["task", "id"], name="queuetaskevent_task")]

    def __str__(self) -> str:
        return f"{self.kind} of task {self.task_id}"
