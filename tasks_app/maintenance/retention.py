"""Bounded tables: finished executions, and the TaskResults Celery-level records of them, are
deleted once older than their retention, a batch at a time.

Each batch is one short transaction: SELECT at most ``EXECUTION_PURGE_BATCH_SIZE`` ids, oldest
first (a range scan of an index on the finished time), DELETE those ids, commit. A run stops after
``EXECUTION_PURGE_MAX_BATCHES`` batches; the next run goes on where it stopped. So no statement
holds locks or writes WAL for more than one batch, and the API and workers keep their turn.

Each pass (one per retention rule, one for TaskResults of no execution) remembers how far it
has looked (``_Mark``), so rows it keeps (failures, longer-kept namespaces) are read once, not on
every run, and a run with nothing to purge reads almost nothing.

Retention: ``EXECUTION_RETENTION_DAYS`` after an attempt finished, or its namespace's
(``EXECUTION_RETENTION_BY_NAMESPACE``); a failure is kept for the longer of that and
``EXECUTION_FAILURE_RETENTION_DAYS``. An execution whose job was deleted has the default.
Queued and running attempts are never purged. TaskResults of no execution (other Celery tasks)
go after the default retention.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django_celery_results.models import TaskResult

from tasks_app import clock
from tasks_app.models import Execution, ExecutionStatus

logger = logging.getLogger(__name__)

KEPT_LONGER = (ExecutionStatus.FAILED,)
KEPT_DEFAULT = (ExecutionStatus.SUCCEEDED, ExecutionStatus.SKIPPED)
FULL_SCAN_EVERY = timedelta(days=1)
# A selected row: its id, its Celery task id (TaskResults only: ""), and its finished time.
Row = tuple[int, str, datetime]


@dataclass(frozen=True)
class Rule:
    """Executions of ``statuses`` in ``namespaces`` are kept ``days`` after they finished."""

    statuses: Sequence[str]
    namespaces: Q
    days: int
    name: str


@dataclass
class Purged:
    """What one run deleted; ``complete`` is False when its batch cap stopped it early."""

    executions: int = 0
    task_results: int = 0
    batches: int = 0
    complete: bool = True


def retention_rules() -> list[Rule]:
    """The settings as rules: namespaces with their own retention first, then everything else
    (executions of deleted jobs included)."""
    overrides: dict[str, int] = settings.EXECUTION_RETENTION_BY_NAMESPACE
    rules: list[Rule] = []
    for namespace, days in overrides.items():
        rules += _rules_for(f"namespace {namespace!r}", Q(job__namespace=namespace), days)
    everywhere_else = ~Q(job__namespace__in=list(overrides)) if overrides else Q()
    return rules + _rules_for(f"not in {sorted(overrides)}", everywhere_else, settings.EXECUTION_RETENTION_DAYS)


def _rules_for(where: str, namespaces: Q, days: int) -> list[Rule]:
    failure_days = max(days, settings.EXECUTION_FAILURE_RETENTION_DAYS)
    return [
        Rule(KEPT_DEFAULT, namespaces, days, f"executions {where}: {', '.join(KEPT_DEFAULT)}"),
        Rule(KEPT_LONGER, namespaces, failure_days, f"executions {where}: {', '.join(KEPT_LONGER)}"),
    ]


def purge_expired_executions(
    *, now: datetime | None = None, batch_size: int | None = None, max_batches: int | None = None, pause_seconds: float | None = None
) -> Purged:
    """Delete what is past its retention, in batches (each committed on its own: call it outside
    a transaction). Arguments left out come from the settings."""
    now = now or clock.now()
    batches = _Batches(
        size=batch_size or settings.EXECUTION_PURGE_BATCH_SIZE,
        limit=settings.EXECUTION_PURGE_MAX_BATCHES if max_batches is None else max_batches,
        pause=settings.EXECUTION_PURGE_PAUSE_SECONDS if pause_seconds is None else pause_seconds,
    )
    for rule in retention_rules():
        cutoff = now - timedelta(days=rule.days)
        select = partial(_expired_executions, rule, cutoff, size=batches.size)
        _in_batches(select, _delete_executions, _Mark(rule.name, now), cutoff, batches)
    cutoff = now - timedelta(days=settings.EXECUTION_RETENTION_DAYS)
    select = partial(_orphan_task_results, cutoff, size=batches.size)
    _in_batches(select, _delete_task_results, _Mark("task results of no execution", now), cutoff, batches)
    if batches.purged.executions or batches.purged.task_results:
        logger.info("retention: %s", batches.purged)
    return batches.purged


class _Batches:
    """The run's allowance of batches, with a pause between two so others get the database."""

    def __init__(self, *, size: int, limit: int, pause: float) -> None:
        self.size, self.limit, self.pause = size, limit, pause
        self.purged = Purged()

    def next(self) -> bool:
        if self.purged.batches >= self.limit:
            self.purged.complete = False
            return False
        if self.purged.batches and self.pause:
            time.sleep(self.pause)
        self.purged.batches += 1
        return True


class _Mark:
    """How far a pass has looked: each row before it was deleted or is one the pass keeps. It
    lives in Django's cache (each process's memory unless CACHES says otherwise: a process's
    first run reads everything once). It is forgotten FULL_SCAN_EVERY, so a row that came into
    a pass behind its mark (its job deleted or renamed, a row imported with an old date) waits
    at most that long."""

    def __init__(self, name: str, now: datetime) -> None:
        self.key = "retention:" + hashlib.sha256(name.encode()).hexdigest()[:32]
        saved = cache.get(self.key)
        fresh = saved is not None and now - saved[1] < FULL_SCAN_EVERY
        self.since: datetime = saved[1] if fresh else now
        self.at: datetime | None = saved[0] if fresh else None

    def move(self, at: datetime) -> None:
        self.at = at
        cache.set(self.key, (at, self.since), timeout=None)


def _in_batches(
    select: Callable[[datetime | None], list[Row]], delete: Callable[[list[Row], Purged], None], mark: _Mark, cutoff: datetime,
    batches: _Batches,
) -> None:  # fmt: skip
    """Select and delete a batch at a time from the mark on, until a batch comes back short.
    Everything a SELECT passed over before its last row is deleted or kept: the mark moves there
    (to the cutoff once the pass is through)."""
    while batches.next():
        rows = select(mark.at)
        if rows:
            delete(rows, batches.purged)
        if len(rows) < batches.size:
            mark.move(cutoff)
            return
        mark.move(rows[-1][2])


def _expired_executions(rule: Rule, cutoff: datetime, after: datetime | None, size: int) -> list[Row]:
    rows = Execution.objects.filter(rule.namespaces, status__in=rule.statuses, finished_at__lt=cutoff)
    if after is not None:
        rows = rows.filter(finished_at__gte=after)
    # finished_at < cutoff: never null
    return cast(list[Row], list(rows.order_by("finished_at").values_list("id", "task_id", "finished_at")[:size]))


def _orphan_task_results(cutoff: datetime, after: datetime | None, size: int) -> list[Row]:
    """TaskResults older than ``cutoff`` that no execution names. A scalar subquery, not NOT
    EXISTS, which PostgreSQL may turn into a hash anti-join reading every execution's task id:
    this walks the date_done index and probes Execution's task_id index once per row."""
    named = Execution.objects.filter(task_id=OuterRef("task_id")).values("pk")[:1]
    rows = TaskResult.objects.filter(date_done__lt=cutoff).alias(execution=Subquery(named)).filter(execution__isnull=True)
    if after is not None:
        rows = rows.filter(date_done__gte=after)
    return [(pk, "", done) for pk, done in rows.order_by("date_done").values_list("id", "date_done")[:size]]


@transaction.atomic
def _delete_executions(rows: list[Row], purged: Purged) -> None:
    """The executions and their TaskResults, in one transaction (never one without the other)."""
    task_ids = [task_id for _, task_id, _ in rows if task_id]
    if task_ids:
        purged.task_results += _delete(TaskResult.objects.filter(task_id__in=task_ids))
    purged.executions += _delete(Execution.objects.filter(pk__in=[pk for pk, _, _ in rows]))


def _delete_task_results(rows: list[Row], purged: Purged) -> None:
    purged.task_results += _delete(TaskResult.objects.filter(pk__in=[pk for pk, _, _ in rows]))


def _delete(rows: Any) -> int:
    """One DELETE ... WHERE: neither model has signals or rows that point at it, so Django
    deletes without first reading what it deletes."""
    deleted, _ = rows.delete()
    return int(deleted)
