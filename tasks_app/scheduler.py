"""JobScheduler: django-celery-beat's DatabaseScheduler, without its full copy of every row.

Plain PeriodicTasks (those that belong to no job, such as the platform's own housekeeping)
run as stock beat runs them. Jobs fire from their ``next_fire_at`` index through
``tasks_app.services.firing``: each tick claims what is due, sends it, and then sleeps until
the next due moment, woken early by a Redis message when a job or retry becomes due sooner.
"""

from __future__ import annotations

import logging
import time
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
            next_due = services.next_due_at()
        except (DatabaseError, InterfaceError):
            logger.exception("database error while firing jobs; retrying")
            close_old_connections()
            next_due = None
        self._wait(min(stock_interval, self._seconds_until(next_due)))
        # Waiting happened above; a positive interval keeps beat's own sync check in its loop.
        return 0.001

    def _fire_due_jobs(self) -> None:
        for _ in range(MAX_ROUNDS_PER_TICK):
            claimed = services.claim_due_occurrences()
            with self.app.producer_or_acquire() as producer:
                sent = services.dispatch_due_executions(send=lambda group: send_executions(group, producer))
            if claimed < settings.SCHEDULER_BATCH_SIZE and sent < settings.SCHEDULER_BATCH_SIZE:
                return

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
        except redis.RedisError:
            logger.warning("no wake-ups from Redis; polling instead")
            self._pubsub = None
            time.sleep(seconds)
