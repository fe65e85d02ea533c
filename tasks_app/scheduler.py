"""JobScheduler: django-celery-beat's DatabaseScheduler, without its full copy of every row.

Plain PeriodicTasks (those that belong to no job, such as the platform's own housekeeping)
run as stock beat runs them. Jobs fire from their ``next_fire_at`` index through
``tasks_app.services.firing``, in two threads with a database connection each:

- the claimer (``ClaimAhead``) writes the occurrences that fall due within the claim-ahead
  window as queued executions, in batches;
- beat's own thread sends what is due within SCHEDULER_SEND_AHEAD_SECONDS (the worker calls
  each at its due time), then sleeps until the next attempt is due within half that, woken
  early by a Redis message when a job or retry becomes due sooner, or when the claimer has
  written attempts.

So, when an occurrence falls due, it is already at a worker, claimed, and a claim batch that
is being written never holds up a send.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.db.models import QuerySet
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from tasks_app import clock, heartbeats, outages, services
from tasks_app import redis as platform_redis
from tasks_app.broker_marker import BrokerMarker
from tasks_app.schedules import FIRE_JOB_TASK
from tasks_app.tasks import send_executions

logger = logging.getLogger(__name__)
RECOVERY_EVERY_SECONDS = 5.0
# How often beat looks whether Redis lost what was sent to it (one GET).
BROKER_CHECK_EVERY_SECONDS = 0.5
# Send rounds in one tick before the stock entries get a look in.
MAX_ROUNDS_PER_TICK = 20
# After a database error, the claimer tries again this much later.
CLAIM_RETRY_SECONDS = 1.0


class ClaimAhead(threading.Thread):
    """Claims every occurrence due within SCHEDULER_CLAIM_AHEAD_SECONDS, in batches: once the next
    occurrence is within half the window, everything due within the whole window. Sleeps until
    then, or until ``changed`` (a job was created or changed: when its next occurrence falls is
    unknown). ``claimed(now)`` is told about every batch written."""

    def __init__(self, claimed: Callable[[datetime], None]) -> None:
        super().__init__(name="claim-ahead", daemon=True)
        self.changed = threading.Event()
        self.stopped = threading.Event()
        self._claimed = claimed

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                wait = self._claim_due()
                outages.DATABASE.recovered()
            except outages.DATABASE_ERRORS as error:  # an outage: logged once, waited out
                wait = outages.DATABASE.failed(error)
                outages.drop_broken_connections()
            except Exception:  # the thread must outlive any one failure: beat fires nothing without it
                logger.exception("claiming occurrences failed; retrying")
                close_old_connections()
                wait = CLAIM_RETRY_SECONDS
            self.changed.wait(wait)
            self.changed.clear()
        close_old_connections()

    def _claim_due(self) -> float:
        """Claims what is due within the window; returns the seconds until the next claim."""
        ahead = timedelta(seconds=settings.SCHEDULER_CLAIM_AHEAD_SECONDS)
        for _ in range(MAX_ROUNDS_PER_TICK):
            now = clock.now()
            claimed = services.claim_due_occurrences(now=now, until=now + ahead)
            if claimed:
                self._claimed(now)
            if claimed < settings.SCHEDULER_BATCH_SIZE:
                break
        occurrence = services.next_due().occurrence
        if occurrence is None:
            return settings.SCHEDULER_MAX_SLEEP_SECONDS
        now = clock.now()
        # max(): a moment long past (a row edited by hand) would underflow datetime.min.
        seconds = (max(occurrence, now) - ahead / 2 - now).total_seconds()
        return max(0.0, min(seconds, settings.SCHEDULER_MAX_SLEEP_SECONDS))

    def stop(self) -> None:
        self.stopped.set()
        self.changed.set()


class JobScheduler(DatabaseScheduler):
    _pubsub: Any = None
    _last_recovery = 0.0
    _last_heartbeat = 0.0
    _last_broker_check = 0.0
    _next_stock_tick = 0.0
    _stock_due = 0.0
    _last_dispatch = datetime.min.replace(tzinfo=UTC)
    _claimer: ClaimAhead | None = None
    # When beat's thread means to wake next (None: awake); the claimer wakes it sooner when it
    # has written attempts due before then.
    _sleeping_until: datetime | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Stock beat reads its rows here: a database that does not answer yet is waited for.
        outages.wait_for_database()
        self._process = heartbeats.Process("beat")
        self._broker = BrokerMarker()
        super().__init__(*args, **kwargs)

    def _ensure_connected(self) -> Any:
        """Stock beat's broker connection (for its own entries), retried forever at most
        RETRY_CAP_SECONDS apart and logged once (stock beat backs off to 30 s per try, logging each)."""
        return self.connection.ensure_connection(
            lambda error, interval: outages.REDIS.failed(error),
            None,
            interval_start=outages.FIRST_RETRY_SECONDS, interval_step=outages.FIRST_RETRY_SECONDS, interval_max=outages.RETRY_CAP_SECONDS,
        )  # fmt: skip

    def enabled_models_qs(self) -> QuerySet[PeriodicTask]:
        """Stock beat's rows, less those that mirror a job (jobs fire from their own index).
        A partial index over the rows that are not jobs' keeps this as small as they are; a
        change to a job does not mark beat's change table at all (tasks_app.schedules), so only
        a change to these rows reloads them."""
        return PeriodicTask.objects.filter(enabled=True).exclude(task=FIRE_JOB_TASK)

    def _stock_tick(self) -> float:
        """Beat's own entries are housekeeping at second scale or slower: look at them once a
        second. Returns how long until the next look (never 0 while an entry waits for it, or
        the loop would spin until then)."""
        now = time.monotonic()
        # During a database outage stock beat would log a traceback on every look; the round's
        # own queries notice when the database is back.
        if now >= self._next_stock_tick and not outages.DATABASE.down:
            self._stock_due = now + super().tick()
            self._next_stock_tick = now + 1.0
        return max(0.0, max(self._stock_due, self._next_stock_tick) - now)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        """One round; an outage of the database or Redis is waited out here (capped backoff),
        never raised: beat's loop would exit."""
        try:
            wait = self._round()
            outages.DATABASE.recovered()
            outages.REDIS.recovered()
        except outages.DATABASE_ERRORS as error:
            wait = outages.DATABASE.failed(error)
            outages.drop_broken_connections()
        except outages.REDIS_ERRORS as error:
            wait = outages.REDIS.failed(error)
        except DatabaseError:  # a query's own failure, not an outage: logged each time
            logger.exception("database error while sending jobs; retrying")
            close_old_connections()
            wait = CLAIM_RETRY_SECONDS
        self._wait(wait)
        # Waiting happened above; a positive interval keeps beat's own sync check in its loop.
        return 0.001

    def _round(self) -> float:
        """Send what is due, keep house; returns how long to sleep."""
        self._ensure_claimer()
        self._resend_if_broker_lost()  # before sending: what this round sends must not go twice
        stock_interval = self._stock_tick()
        self._send_due()
        self._housekeeping()
        # From here until it wakes, beat's thread counts as asleep: a batch the claimer writes
        # while the next wake is planned publishes a wake-up, which ends the sleep at once.
        self._sleeping_until = datetime.max.replace(tzinfo=UTC)
        return min(stock_interval, self._seconds_until(self._next_wake()))

    def _ensure_claimer(self) -> None:
        """Started on the first tick (and again should it ever have stopped), once beat listens
        for the wake-ups it sends."""
        if self._claimer is None or not self._claimer.is_alive():
            self._subscribe()
            self._claimer = ClaimAhead(claimed=self._attempts_claimed)
            self._claimer.start()

    def close(self) -> None:
        if self._claimer is not None:
            self._claimer.stop()
            self._claimer.join(timeout=5)
        super().close()

    def _send_due(self) -> None:
        """Send what is due; a round repeats only while a batch came back full."""
        for _ in range(MAX_ROUNDS_PER_TICK):
            with self.app.producer_or_acquire() as producer:
                send = lambda group: send_executions(group, producer)  # noqa: E731
                sent = services.dispatch_due_executions(send=send, ahead=self._send_ahead())
            if sent:
                self._last_dispatch = clock.now()
            if sent < settings.SCHEDULER_BATCH_SIZE:
                return

    def _attempts_claimed(self, claimed_at: datetime) -> None:
        """The claimer wrote attempts (the earliest may be due at once): wake beat's thread if it
        sleeps. The wake-up says it comes from a claim, so no claimer takes it for a job change."""
        sleeping_until = self._sleeping_until
        if sleeping_until is not None and sleeping_until > claimed_at:
            platform_redis.wake_scheduler(claimed_at.timestamp(), claimed=True)

    @staticmethod
    def _send_ahead() -> timedelta:
        return timedelta(seconds=settings.SCHEDULER_SEND_AHEAD_SECONDS)

    def _next_wake(self) -> datetime | None:
        """When the next attempt is due within half the send-ahead window (each send takes the
        whole window: attempts due close together share a message, and each reaches its worker
        before it is due), but not sooner than SCHEDULER_DISPATCH_GAP_SECONDS after the last send."""
        attempt = services.next_due().attempt
        if attempt is None:
            return None
        # max(): a moment long past (a row edited by hand) would underflow datetime.min.
        return max(
            max(attempt, clock.now()) - self._send_ahead() / 2,
            self._last_dispatch + timedelta(seconds=settings.SCHEDULER_DISPATCH_GAP_SECONDS),
        )

    def _housekeeping(self) -> None:
        now = time.monotonic()
        if now - self._last_recovery >= RECOVERY_EVERY_SECONDS:
            self._last_recovery = now
            services.recover_lost_executions()  # logs what it recovered
        if now - self._last_heartbeat >= heartbeats.EVERY_SECONDS:
            self._last_heartbeat = now
            heartbeats.beat(self._process)

    def _resend_if_broker_lost(self) -> None:
        """Redis came back without its data: what was sent to it and not taken is sent again now,
        not after EXECUTION_REDISPATCH_AFTER_SECONDS (a worker's claim lets only one copy run)."""
        now = time.monotonic()
        if now - self._last_broker_check < BROKER_CHECK_EVERY_SECONDS:
            return
        self._last_broker_check = now
        if self._broker.lost_since_last_look():
            resent = services.resend_unclaimed(sent_before=clock.now())
            if resent:
                logger.warning("Redis lost its messages: %d attempt(s) sent and not taken sent again", resent)

    @staticmethod
    def _seconds_until(moment: Any) -> float:
        if moment is None:
            return settings.SCHEDULER_MAX_SLEEP_SECONDS
        return max(0.0, min((moment - clock.now()).total_seconds(), settings.SCHEDULER_MAX_SLEEP_SECONDS))

    def _drain_wakeups(self, first: dict[str, Any]) -> bool:
        """A burst of changes wakes the scheduler once, not once per change. True when one of
        them is not a claimer's (a job changed: the claimer must look again)."""
        changed = not platform_redis.is_claim_wakeup(first)
        for _ in range(10_000):
            message = self._pubsub.get_message(timeout=0)
            if message is None:
                break
            changed = changed or not platform_redis.is_claim_wakeup(message)
        return changed

    def _subscribe(self) -> Any:
        """Beat's subscription to wake-ups (None while Redis is unreachable: beat polls)."""
        if self._pubsub is None:
            try:
                pubsub = platform_redis.client().pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(platform_redis.key(platform_redis.WAKE_CHANNEL))
                self._pubsub = pubsub
            except redis.RedisError:
                logger.warning("no wake-ups from Redis; polling instead")
        return self._pubsub

    def _wait(self, seconds: float) -> None:
        """Sleep up to ``seconds``, returning early when a wake-up message arrives; a wake-up is
        passed on to the claimer (a job changed, its next occurrence is unknown)."""
        if seconds <= 0:
            self._sleeping_until = None
            return
        self._sleeping_until = clock.now() + timedelta(seconds=seconds)
        try:
            pubsub = self._subscribe()
            if pubsub is None:
                time.sleep(seconds)
                return
            message = pubsub.get_message(timeout=seconds)
            if message is not None and self._drain_wakeups(message) and self._claimer is not None:
                self._claimer.changed.set()
        except redis.RedisError:
            logger.warning("no wake-ups from Redis; polling instead")
            self._pubsub = None
            time.sleep(seconds)
        finally:
            self._sleeping_until = None
