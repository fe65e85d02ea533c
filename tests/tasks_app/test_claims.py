"""Claiming attempts that arrive before they are due (beat sends them SCHEDULER_SEND_AHEAD_SECONDS early)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tasks_app import clock
from tasks_app.models import Execution
from tasks_app.services.claims import ClaimRequest, claim_many, claim_seconds, seconds_until_start
from tests.factories import make_job

pytestmark = pytest.mark.django_db


def queued(due_in: float) -> Execution:
    now = clock.now()
    job = make_job(trigger={"kind": "at", "at": (now + timedelta(days=1)).isoformat()})
    return Execution.objects.create(job=job, scheduled_for=now, attempt=1, reason="manual", due_at=now + timedelta(seconds=due_in))


def test_an_attempt_claimed_before_it_is_due_starts_at_its_due_time(settings) -> None:
    settings.SCHEDULER_SEND_AHEAD_SECONDS = 2.0
    early = queued(due_in=1.0)
    [(execution, callback)] = claim_many([ClaimRequest(early.pk, "task-1")])
    stored = Execution.objects.get(pk=early.pk)
    assert stored.status == "running" and stored.started_at == execution.started_at == early.due_at
    assert 0.5 < seconds_until_start(execution) <= 1.0
    # The claim holds for the whole wait plus the call's own claim.
    assert stored.deadline_at - stored.started_at >= timedelta(seconds=claim_seconds(callback))


def test_a_worker_never_holds_an_attempt_longer_than_the_send_ahead_window(settings) -> None:
    settings.SCHEDULER_SEND_AHEAD_SECONDS = 0.5
    far = queued(due_in=30.0)
    before = clock.now()
    [(execution, _)] = claim_many([ClaimRequest(far.pk, "task-1")])
    assert before + timedelta(seconds=0.5) <= execution.started_at <= clock.now() + timedelta(seconds=0.5)
    assert Execution.objects.get(pk=far.pk).started_at == execution.started_at
    assert seconds_until_start(execution) <= 0.5


def test_an_overdue_attempt_starts_at_once() -> None:
    late = queued(due_in=-5.0)
    before = clock.now()
    [(execution, _)] = claim_many([ClaimRequest(late.pk, "task-1")])
    assert before <= Execution.objects.get(pk=late.pk).started_at == execution.started_at <= clock.now()
    assert seconds_until_start(execution) == 0.0


def test_attempts_claimed_together_keep_their_own_start_times(settings) -> None:
    settings.SCHEDULER_SEND_AHEAD_SECONDS = 2.0
    attempts = [queued(due_in=seconds) for seconds in (-1.0, 0.5, 1.0, 1.5, 5.0)]
    claimed = claim_many([ClaimRequest(a.pk, f"task-{a.pk}") for a in attempts])
    starts = [c[0].started_at for c in claimed]  # type: ignore[index]
    assert starts[1:4] == [a.due_at for a in attempts[1:4]]
    assert starts == list(Execution.objects.filter(pk__in=[a.pk for a in attempts]).order_by("pk").values_list("started_at", flat=True))
