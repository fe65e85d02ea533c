"""JobScheduler's loop: how long a tick waits."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from scheduler_project.celery import app
from tasks_app.scheduler import JobScheduler

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_due_stock_entry_waits_for_the_next_look_instead_of_spinning() -> None:
    # Stock entries are looked at once a second; one that fell due in between used to make
    # every tick return at once (a busy loop until the next look).
    scheduler = JobScheduler(app=app, lazy=True)
    now = time.monotonic()
    scheduler._next_stock_tick, scheduler._stock_due = now + 0.5, now - 1.0
    assert 0.4 < scheduler._stock_tick() <= 0.5


def test_stock_entries_are_looked_at_when_their_look_is_due() -> None:
    scheduler = JobScheduler(app=app, lazy=True)
    scheduler._next_stock_tick = scheduler._stock_due = time.monotonic() - 1.0
    wait = scheduler._stock_tick()
    assert scheduler._next_stock_tick > time.monotonic()
    assert 0 < wait <= max(scheduler.max_interval, 1.0)


def test_attempts_due_just_after_a_send_wait_for_the_dispatch_gap(settings) -> None:
    from tasks_app import clock, services
    from tests.factories import make_job

    settings.SCHEDULER_DISPATCH_GAP_SECONDS = 0.5
    make_job()
    services.claim_due_occurrences()  # an attempt due now, not sent yet
    scheduler = JobScheduler(app=app, lazy=True)
    assert scheduler._next_wake() <= clock.now()  # nothing sent lately: at once
    scheduler._last_dispatch = clock.now()
    assert scheduler._next_wake() >= scheduler._last_dispatch + timedelta(seconds=0.5)


def test_beat_wakes_to_send_when_the_next_attempt_is_due_within_half_the_send_ahead_window(settings) -> None:
    from tasks_app import services
    from tests.factories import make_job

    settings.SCHEDULER_SEND_AHEAD_SECONDS = 0.4
    settings.SCHEDULER_DISPATCH_GAP_SECONDS = 0.0
    make_job(trigger={"kind": "delay", "seconds": 30})
    services.claim_due_occurrences(until=services.next_due().occurrence)
    due = services.next_due().attempt
    assert JobScheduler(app=app, lazy=True)._next_wake() == due - timedelta(seconds=0.2)


def test_a_claimers_wake_up_wakes_beat_but_not_the_claimers(settings) -> None:
    """A claimer wakes its beat's thread after each batch; that is no job change, so no claimer
    (of this beat or another) looks again for it. Any other wake-up makes them look."""
    from tasks_app import redis as platform_redis

    scheduler = JobScheduler(app=app, lazy=True)
    try:
        scheduler._subscribe().get_message(timeout=1.0)  # the subscription's confirmation: it is in place
        scheduler._claimer = claimer = type("Claimer", (), {"changed": threading.Event()})()
        for claimed, looks in ((True, False), (False, True)):
            claimer.changed.clear()
            platform_redis.wake_scheduler(time.time(), claimed=claimed)
            started = time.monotonic()
            scheduler._wait(2.0)
            assert time.monotonic() - started < 1.0  # woken, not slept through
            assert claimer.changed.is_set() is looks
    finally:
        scheduler._claimer = None
        scheduler.close()


def test_the_claimer_wakes_beat_for_attempts_due_before_its_planned_wake(settings) -> None:
    """Beat's thread plans its sleep from the attempts already written; the claimer writes one
    ahead of its due moment and wakes it, so it is sent on time, not after the long sleep."""
    from django.utils import timezone

    from tasks_app.models import Execution
    from tests.factories import make_job

    settings.SCHEDULER_MAX_SLEEP_SECONDS = 5.0
    due = timezone.now() + timedelta(seconds=1.5)
    job = make_job(trigger={"kind": "at", "at": due.isoformat()})
    scheduler = JobScheduler(app=app, lazy=True)
    try:
        deadline = time.monotonic() + 4.0
        while time.monotonic() < deadline and not Execution.objects.filter(job=job, dispatched_at__isnull=False).exists():
            scheduler.tick()
    finally:
        scheduler.close()
    execution = Execution.objects.get(job=job)
    assert execution.dispatched_at is not None
    assert (execution.dispatched_at - due).total_seconds() < 0.5


def test_the_claimer_outlives_a_failed_claim(monkeypatch, settings) -> None:
    from tasks_app import services
    from tasks_app.scheduler import ClaimAhead

    settings.SCHEDULER_MAX_SLEEP_SECONDS = 0.05
    calls: list[int] = []

    def fail_once(**kwargs: object) -> int:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return 0

    monkeypatch.setattr(services, "claim_due_occurrences", fail_once)
    monkeypatch.setattr("tasks_app.scheduler.CLAIM_RETRY_SECONDS", 0.05)
    claimer = ClaimAhead(claimed=lambda due_by: None)
    claimer.start()
    try:
        deadline = time.monotonic() + 5
        while len(calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        claimer.stop()
        claimer.join(timeout=5)
    assert len(calls) >= 3 and not claimer.is_alive()
