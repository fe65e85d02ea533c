"""Reading pull-queue tasks: by id, by HashCode, an owner's tasks, and a channel's length."""

from __future__ import annotations

from django.db.models import QuerySet

from tasks_app.exceptions import NotFound
from tasks_app.models import QueueTask, QueueTaskState
from tasks_app.queue_fields import MAX_STORED_INT, checked_channel, checked_hash_code


def queue_task(*, task_id: int) -> QueueTask:
    """The task with this id; raises NotFound."""
    task = QueueTask.objects.filter(pk=task_id).first() if 0 < task_id <= MAX_STORED_INT else None
    if task is None:
        raise NotFound(f"no task {task_id}", field="ID")
    return task


def queue_task_by_hash_code(*, hash_code: str) -> QueueTask:
    """The task with this HashCode; raises NotFound (InvalidInput for an impossible one)."""
    task = QueueTask.objects.filter(hash_code=checked_hash_code(hash_code, required=True)).first()
    if task is None:
        raise NotFound(f"no task with HashCode {hash_code!r}", field="HashCode")
    return task


def queue_tasks_of_owner(*, owner: int) -> QuerySet[QueueTask]:
    """An owner's tasks, oldest first (none for an owner no row can hold)."""
    if owner > MAX_STORED_INT:
        return QueueTask.objects.none()
    return QueueTask.objects.filter(owner=owner).order_by("id")


def queue_length(*, channel: str) -> int:
    """Tasks of ``channel`` ready to be handed out (the database's count, not Redis's)."""
    ready = QueueTask.objects.filter(channel=checked_channel(channel), state=QueueTaskState.WAITING, ready_at__isnull=False)
    return ready.count()
