"""An attempt whose callee accepted the call and reports later (Outcome.pending): it waits for
the report until its deadline, and is then failed, never re-queued (the call was made)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tasks_app import services
from tasks_app.callbacks import Outcome
from tasks_app.models import Execution, ExecutionStatus
from tests.factories import make_job

pytestmark = pytest.mark.django_db


def running_attempt() -> Execution:
    execution = services.trigger_job(job=make_job())
    Execution.objects.filter(pk=execution.pk).update(status=ExecutionStatus.RUNNING, started_at=timezone.now())
    return Execution.objects.select_related("job").get(pk=execution.pk)


def accepted(within: float | None = 30) -> Outcome:
    return Outcome(
        succeeded=False, request={"sent": 1}, response_status=200, response_headers={"X-Accepted": "yes"}, pending=True,
        report_within_seconds=within,
    )  # fmt: skip


def test_pending_outcome_awaits_a_report_until_its_deadline() -> None:
    execution = running_attempt()
    now = timezone.now()
    services.record_outcome(execution=execution, outcome=accepted(30), now=now)
    execution.refresh_from_db()
    assert execution.status == "running" and execution.awaiting_report and execution.deadline_at == now + timedelta(seconds=30)


def test_pending_outcome_without_its_own_deadline_gets_the_longest_callback_timeout(settings) -> None:
    execution = running_attempt()
    now = timezone.now()
    services.record_outcome(execution=execution, outcome=accepted(None), now=now)
    assert Execution.objects.get(pk=execution.pk).deadline_at == now + timedelta(seconds=settings.CALLBACK_MAX_TIMEOUT_SECONDS)


def test_unreported_attempt_is_failed_at_its_deadline_and_a_lost_one_requeued(caplog) -> None:
    waiting, lost = running_attempt(), running_attempt()
    services.record_outcome(execution=waiting, outcome=accepted(30))
    Execution.objects.filter(pk=lost.pk).update(deadline_at=timezone.now() + timedelta(seconds=30))
    assert services.recover_lost_executions(now=timezone.now() + timedelta(seconds=31)) == 2
    waiting.refresh_from_db()
    lost.refresh_from_db()
    assert (waiting.status, waiting.error, waiting.awaiting_report) == ("failed", "no report before the deadline", False)
    assert waiting.finished_at is not None and lost.status == "queued"
    assert "1 attempt(s) whose worker was lost queued again, 1 never reported failed" in caplog.text


def test_report_completes_the_attempt() -> None:
    execution = running_attempt()
    services.record_outcome(execution=execution, outcome=accepted())
    services.complete_pending(execution_id=execution.pk, succeeded=True, response_body="done")
    execution.refresh_from_db()
    assert (execution.status, execution.awaiting_report, execution.response_body) == ("succeeded", False, "done")
    assert execution.response_headers == {"X-Accepted": "yes"}  # the call's own answer is kept


def test_a_report_before_the_pending_outcome_is_recorded_stands() -> None:
    execution = running_attempt()
    services.complete_pending(execution_id=execution.pk, succeeded=True, response_body="quick")
    services.record_outcome(execution=execution, outcome=accepted())
    execution.refresh_from_db()
    assert (execution.status, execution.awaiting_report, execution.response_body) == ("succeeded", False, "quick")
    assert execution.request == {"sent": 1} and execution.response_status == 200


def test_an_unreported_attempt_failing_releases_the_attempt_held_behind_it() -> None:
    from tasks_app.attempts import HELD

    waiting = services.trigger_job(job=make_job(overlap_policy="queue"))
    Execution.objects.filter(pk=waiting.pk).update(status=ExecutionStatus.RUNNING, started_at=timezone.now())
    waiting = Execution.objects.select_related("job").get(pk=waiting.pk)
    services.record_outcome(execution=waiting, outcome=accepted(30))
    held = Execution.objects.create(job=waiting.job, scheduled_for=timezone.now(), due_at=HELD)
    later = timezone.now() + timedelta(seconds=31)
    services.recover_lost_executions(now=later)
    held.refresh_from_db()
    assert held.due_at == later and held.status == "queued"


def test_an_unreported_attempt_counts_as_failed_in_the_metrics(redis_client, django_capture_on_commit_callbacks) -> None:
    from tasks_app.metrics import counters

    waiting = running_attempt()
    services.record_outcome(execution=waiting, outcome=accepted(30))
    with django_capture_on_commit_callbacks(execute=True):
        services.recover_lost_executions(now=timezone.now() + timedelta(seconds=31))
    job = waiting.job
    assert counters.read(counters.EXECUTIONS) == {counters.SEP.join(("failed", job.dialect, job.namespace)): "1"}


def test_the_task_result_follows_the_attempt_from_awaiting_to_reported() -> None:
    from django_celery_results.models import TaskResult

    from tasks_app.attempts.task_results import TaskRecord

    execution = running_attempt()
    services.record_outcome(execution=execution, outcome=accepted(30), task=TaskRecord("task-awaiting"))
    assert TaskResult.objects.get(task_id="task-awaiting").status == "STARTED"
    services.complete_pending(execution_id=execution.pk, succeeded=False, response_body="gave up")
    result = TaskResult.objects.get(task_id="task-awaiting")
    assert result.status == "FAILURE" and "reported as failed" in result.result


def test_a_report_before_the_accepted_answer_is_recorded_decides_the_task_result() -> None:
    from django_celery_results.models import TaskResult

    from tasks_app.attempts.task_results import TaskRecord

    execution = running_attempt()
    services.complete_pending(execution_id=execution.pk, succeeded=True)
    services.record_outcome(execution=execution, outcome=accepted(30), task=TaskRecord("task-late-answer"))
    assert TaskResult.objects.get(task_id="task-late-answer").status == "SUCCESS"
    assert Execution.objects.get(pk=execution.pk).status == "succeeded"
