"""How much work waits: messages in the Celery queue (all its priority lists) and ready tasks in
each channel of the pull queues. Shared by /metrics and the console."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count
from kombu.transport.redis import Channel

from tasks_app import redis as platform_redis
from tasks_app.models import QueueTask, QueueTaskState


@dataclass(frozen=True)
class Depth:
    kind: str  # "celery" or "channel"
    queue: str
    depth: int


def _priority_lists(queue: str) -> list[str]:
    """kombu keeps one Redis list per priority step: ``jobs``, then ``jobs<sep><step>``."""
    steps: list[int] = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("priority_steps", [0])  # type: ignore[assignment]
    return [queue if not step else f"{queue}{Channel.sep}{step}" for step in steps]


def celery_queue_depths() -> list[Depth]:
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    with platform_redis.client().pipeline(transaction=False) as pipe:
        for name in _priority_lists(queue):
            pipe.llen(name)
        lengths = pipe.execute()
    return [Depth("celery", queue, sum(int(n) for n in lengths))]


def channel_depths() -> list[Depth]:
    """Waiting, ready tasks per channel, counted from the ready partial index (channel, ready_at)."""
    waiting = QueueTask.objects.filter(state=QueueTaskState.WAITING, ready_at__isnull=False)
    rows = waiting.values("channel").annotate(depth=Count("id")).order_by("channel")
    return [Depth("channel", row["channel"], row["depth"]) for row in rows]


def template_context() -> dict[str, Any]:
    """What ``admin/console/queue_depths.html`` shows (the dashboard, a servers page): every
    queue's depth, or why it is unavailable."""
    try:
        return {"queue_depths": celery_queue_depths() + channel_depths()}
    except Exception as error:  # Redis or the database down: the page around it still shows
        return {"queue_depths": [], "queue_depths_error": f"unavailable: {error}"}
