"""An attempt never runs twice at once: an outcome reported by a holder whose claim was
superseded (the sweep recovered the attempt, another worker claimed it) is dropped, so a late
first call can neither overwrite the second's record nor add a retry of its own."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tasks_app import clock
from tasks_app.attempts.claims import ClaimRequest, claim_many
from tasks_app.attempts.lifecycle import Record, record_many
from tasks_app.attempts.task_results import TaskRecord
from tasks_app.callbacks import Outcome
from tasks_app.models import Execution
from tasks_app.services.firing import recover_lost_executions
from tests.factories import make_job

pytestmark = pytest.mark.django_db


def claimed_twice() -> tuple[Execution, Execution]:
    """The first holder's claim, overtaken by the sweep and a second holder's claim."""
    now = clock.now()
    job = make_job(trigger={"kind": "at", "at": (now + timedelta(days=1)).isoformat()}, retry={"delays_seconds": [1]})
    queued = Execution.objects.create(job=job, scheduled_for=now, attempt=1, reason="manual", due_at=now)
    [(first, _)] = claim_many([ClaimRequest(queued.pk, "task-first")])
    Execution.objects.filter(pk=queued.pk).update(deadline_at=now - timedelta(seconds=1))  # the first call outlived its claim
    assert recover_lost_executions() == 1
    [(second, _)] = claim_many([ClaimRequest(queued.pk, "task-second")])
    return first, second


def test_a_superseded_holders_late_outcome_is_dropped() -> None:
    first, second = claimed_twice()
    record_many([Record(first, Outcome(succeeded=False, request={"by": "first"}, error="late"), TaskRecord("task-first"))])
    stored = Execution.objects.get(pk=first.pk)
    assert stored.status == "running" and stored.deadline_at == second.deadline_at and stored.error != "late"
    assert Execution.objects.filter(job_id=first.job_id).count() == 1  # the late failure queued no retry
    record_many([Record(second, Outcome(succeeded=True, request={"by": "second"}, response_status=200), TaskRecord("task-second"))])
    stored.refresh_from_db()
    assert stored.status == "succeeded" and stored.request == {"by": "second"} and stored.task_id == "task-second"


def test_the_current_holders_outcome_is_recorded_beside_a_dropped_one() -> None:
    first, second = claimed_twice()
    now = clock.now()
    job = make_job(trigger={"kind": "at", "at": (now + timedelta(days=1)).isoformat()})
    other = Execution.objects.create(job=job, scheduled_for=now, attempt=1, reason="manual", due_at=now)
    [(other_claimed, _)] = claim_many([ClaimRequest(other.pk, "task-other")])
    record_many([
        Record(first, Outcome(succeeded=True, request={}), TaskRecord("task-first")),
        Record(other_claimed, Outcome(succeeded=True, request={}), TaskRecord("task-other")),
    ])  # fmt: skip
    assert Execution.objects.get(pk=other.pk).status == "succeeded"
    assert Execution.objects.get(pk=first.pk).status == "running"
