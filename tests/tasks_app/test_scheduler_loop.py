"""JobScheduler's loop: how long a tick waits."""

from __future__ import annotations

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
