"""JobScheduler: django-celery-beat's DatabaseScheduler, without its full copy of every row.

Plain PeriodicTasks (those that belong to no job, such as the platform's own housekeeping)
run as stock beat runs them. Jobs fire from their ``next_fire_at`` index through
``tasks_app.services.firing``: each tick sends what is due, claims the occurrences that fall due
within the claim-ahead window (so that, when they are due, sending is all that is left), and
then sleeps until the next due moment, woken early by a Redis message when a job or retry
becomes due sooner.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError, InterfaceError, close_old_connections
from django.db.models import QuerySet
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from tasks_app import clock, services
from tasks_app import redis as platform_redis
from tasks_app.schedules import FIRE_JOB_TASK
from tasks_app.tasks import send_executions

logger = logging.getLogger(__name__)
RECOVERY_EVERY_SECONDS = 5.0
HEARTBEAT_EVERY_SECONDS = 5.0
# Claim-and-send rounds in one tick before the stock entries get a look in.
MAX_ROUNDS_PER_TICK = 20


class JobScheduler(DatabaseScheduler):
    _pubsub: Any = None
    _last_recovery = 0.0
    _last_heartbeat = 0.0
    _next_stock_tick = 0.0
    _stock_due = 0.0
    # The next occurrence of any job, as last read (None: unknown, so the next tick claims).
    _next_occurrence: datetime | None = None
    _last_dispatch = datetime.min.replace(tzinfo=UTC)

    def enabled_models_qs(self) -> QuerySet[PeriodicTask]:
        """Stock beat's rows, less those that mirror a job (jobs fire from their own index).
        A partial index over the rows that are not jobs' keeps this as small as they are, so a
        change to any job reloads a handful of rows, never the table."""
        return PeriodicTask.objects.filter(enabled=True).exclude(task=FIRE_JOB_TASK)

    def _stock_tick(self) -> float:
        """Beat's own entries are housekeeping at second scale or slower: look at them once a
        second. Returns how long until the next look (never 0 while an entry waits for it, or
        the loop would spin until then)."""
        now = time.monotonic()
        if now >= self._next_stock_tick:
            self._stock_due = now + super().tick()
            self._next_stock_tick = now + 1.0
        return max(0.0, max(self._stock_due, self._next_stock_tick) - now)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        stock_interval = self._stock_tick()
        try:
            self._fire_due_jobs()
            self._housekeeping()
            wake_at = self._next_wake()
        except (DatabaseError, InterfaceError):
            logger.exception("database error while firing jobs; retrying")
            close_old_connections()
            wake_at, self._next_occurrence = None, None
        self._wait(min(stock_interval, self._seconds_until(wake_at)))
        # Waiting happened above; a positive interval keeps beat's own sync check in its loop.
        return 0.001

    def _fire_due_jobs(self) -> None:
        """Send what is due, then claim what falls due within SCHEDULER_CLAIM_AHEAD_SECONDS; a
        round repeats only while a batch came back full."""
        for _ in range(MAX_ROUNDS_PER_TICK):
            with self.app.producer_or_acquire() as producer:
                sent = services.dispatch_due_executions(send=lambda group: send_executions(group, producer))
            if sent:
                self._last_dispatch = clock.now()
            claimed = self._claim_ahead()
            if claimed < settings.SCHEDULER_BATCH_SIZE and sent < settings.SCHEDULER_BATCH_SIZE:
                return

    def _claim_ahead(self) -> int:
        """Claims in batches: only once the next occurrence is within half the claim-ahead
        window, then everything due within the whole window (or when a wake-up said a job
        changed: the next occurrence is then unknown)."""
        ahead = timedelta(seconds=settings.SCHEDULER_CLAIM_AHEAD_SECONDS)
        now = clock.now()
        if self._next_occurrence is not None and self._next_occurrence > now + ahead / 2:
            return 0
        self._next_occurrence = None
        return services.claim_due_occurrences(now=now, until=now + ahead)

    def _next_wake(self) -> datetime | None:
        """When the next attempt falls due (but not sooner than SCHEDULER_DISPATCH_GAP_SECONDS
        after the last send, so that attempts due a few milliseconds apart share a message), or
        the next occurrence comes within half the claim-ahead window, whichever is first."""
        due = services.next_due()
        self._next_occurrence = due.occurrence
        claim_at = due.occurrence - timedelta(seconds=settings.SCHEDULER_CLAIM_AHEAD_SECONDS) / 2 if due.occurrence else None
        send_at = due.attempt and max(due.attempt, self._last_dispatch + timedelta(seconds=settings.SCHEDULER_DISPATCH_GAP_SECONDS))
        return min((m for m in (claim_at, send_at) if m is not None), default=None)

    def _housekeeping(self) -> None:
        now = time.monotonic()
        if now - self._last_recovery >= RECOVERY_EVERY_SECONDS:
            self._last_recovery = now
            recovered = services.recover_lost_executions()
            if recovered:
                logger.warning("re-queued %d lost execution(s)", recovered)
        if now - self._last_heartbeat >= HEARTBEAT_EVERY_SECONDS:
            self._last_heartbeat = now
            platform_redis.beat_heartbeat("beat")

    @staticmethod
    def _seconds_until(moment: Any) -> float:
        if moment is None:
            return settings.SCHEDULER_MAX_SLEEP_SECONDS
        return max(0.0, min((moment - clock.now()).total_seconds(), settings.SCHEDULER_MAX_SLEEP_SECONDS))

    def _drain_wakeups(self) -> None:
        """A burst of changes wakes the scheduler once, not once per change."""
        for _ in range(10_000):
            if self._pubsub.get_message(timeout=0) is None:
                return

    def _wait(self, seconds: float) -> None:
        """Sleep up to ``seconds``, returning early when a wake-up message arrives."""
        if seconds <= 0:
            return
        try:
            if self._pubsub is None:
                self._pubsub = platform_redis.client().pubsub(ignore_subscribe_messages=True)
                self._pubsub.subscribe(platform_redis.key(platform_redis.WAKE_CHANNEL))
            if self._pubsub.get_message(timeout=seconds) is not None:
                self._drain_wakeups()
                self._next_occurrence = None  # a job changed: claim without assuming when
        except redis.RedisError:
            logger.warning("no wake-ups from Redis; polling instead")
            self._pubsub = None
            time.sleep(seconds)
