"""Claiming attempts that arrive before they are due (beat sends them SCHEDULER_SEND_AHEAD_SECONDS early)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from tasks_app import clock, sql
from tasks_app.attempts.claims import (
    ClaimRequest,
    GiveBack,
    claim_many,
    claim_seconds,
    extend_claim,
    give_back_many,
    seconds_until_start,
)
from tasks_app.models import Execution
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


def test_claims_find_their_rows_by_primary_key_alone(monkeypatch) -> None:
    """The status partial indexes fill with dead entries between vacuums, which the planner
    cannot see: a claim must not let it scan one (sql.unindexed_test). Statistics taken while
    nothing is queued make those indexes look empty, the planner's favourite trap."""
    job = make_job(trigger={"kind": "at", "at": (clock.now() + timedelta(days=1)).isoformat()})
    now = clock.now()
    done = [Execution(job=job, scheduled_for=now + timedelta(seconds=i), status="succeeded", due_at=now) for i in range(3000)]
    Execution.objects.bulk_create(done)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    attempts = [queued(due_in=0) for _ in range(20)]
    statements = record_statements(monkeypatch)
    claimed = claim_many([ClaimRequest(a.pk, f"task-{a.pk}") for a in attempts])
    executions = [c[0] for c in claimed]  # type: ignore[index]
    extend_claim(executions[0], claimed[0][1])  # type: ignore[index]
    give_back_many([GiveBack(e, due_at=now, note="busy") for e in executions[:5]])
    assert len(statements) >= 3
    partial_indexes = [index.name for index in Execution._meta.indexes if index.condition is not None]
    for statement, params in statements:
        plan = query_plan(statement, params)
        assert not [name for name in partial_indexes if name in plan], plan


def record_statements(monkeypatch) -> list[tuple[str, list[Any]]]:
    statements: list[tuple[str, list[Any]]] = []

    def recording(run: Callable[..., Any]) -> Callable[..., Any]:
        def run_and_record(statement: str, params: Sequence[Any], *args: Any) -> Any:
            statements.append((statement, list(params)))
            return run(statement, params, *args)

        return run_and_record

    for name in ("select", "execute"):
        monkeypatch.setattr(sql, name, recording(getattr(sql, name)))
    return statements


def query_plan(statement: str, params: list[Any]) -> str:
    explain = "EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(explain + statement, params)
        return "\n".join(str(row) for row in cursor.fetchall())
