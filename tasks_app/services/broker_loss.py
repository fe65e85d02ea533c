"""Attempts the broker lost (see tasks_app.broker_marker)."""

from __future__ import annotations

from datetime import datetime

from tasks_app.models import Execution, ExecutionStatus


def resend_unclaimed(*, sent_before: datetime) -> int:
    """Every queued attempt sent before ``sent_before`` and not taken by a worker becomes unsent,
    so the dispatcher sends it again at once. Returns how many."""
    sent = Execution.objects.filter(status=ExecutionStatus.QUEUED, dispatched_at__isnull=False, dispatched_at__lte=sent_before)
    return sent.update(dispatched_at=None)
