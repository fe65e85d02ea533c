"""A real Celery worker on the real Redis queue, calling a real local HTTP server."""

from __future__ import annotations

import time

import pytest
from django_celery_results.models import TaskResult
from werkzeug import Response

from tasks_app import services
from tasks_app.models import Execution
from tasks_app.tasks import send_executions
from tests.conftest import wait_for
from tests.factories import make_job


def fire_due() -> None:
    services.claim_due_occurrences()
    services.dispatch_due_executions(send=send_executions)


@pytest.mark.usefixtures("celery_worker")
def test_worker_calls_the_callback_and_records_both_results(receiver) -> None:
    receiver.expect_request("/hook", method="POST", json={"n": 1}).respond_with_data("thanks")
    job = make_job(callback={"url": receiver.url_for("/hook"), "body": {"n": 1}, "body_format": "json"})
    fire_due()
    execution = wait_for(lambda: Execution.objects.filter(job=job, status="succeeded").first(), message="success")
    assert execution.response_body == "thanks" and execution.lateness_ms is not None
    result = wait_for(lambda: TaskResult.objects.filter(task_id=execution.task_id, status="SUCCESS").first(), message="TaskResult")
    assert result.task_name == "tasks_app.tasks.execute"


@pytest.mark.usefixtures("celery_worker")
def test_regexp_failure_is_retried_until_success(receiver) -> None:
    answers = iter(['{"ok": false}', '{"ok": false}', '{"ok": true}'])
    receiver.expect_request("/flaky").respond_with_handler(lambda request: Response(next(answers)))
    job = make_job(callback={"url": receiver.url_for("/flaky"), "success_regexp": '"ok": true'}, retry={"delays_seconds": [0, 0]})

    def settled() -> bool:
        fire_due()
        return Execution.objects.filter(job=job, status="succeeded").exists()

    wait_for(settled, timeout=30, message="third attempt to succeed")
    attempts = list(Execution.objects.filter(job=job).order_by("attempt").values_list("attempt", "reason", "status"))
    assert attempts == [(1, "schedule", "failed"), (2, "retry", "failed"), (3, "retry", "succeeded")]


@pytest.mark.usefixtures("celery_worker")
def test_failure_without_retries_stays_failed(receiver) -> None:
    receiver.expect_request("/down").respond_with_handler(lambda request: Response("boom", status=503))
    job = make_job(callback={"url": receiver.url_for("/down")})
    fire_due()
    execution = wait_for(lambda: Execution.objects.filter(job=job, status="failed").first(), message="failure")
    assert execution.response_status == 503 and execution.error == "HTTP 503"
    assert Execution.objects.filter(job=job).count() == 1


@pytest.mark.usefixtures("celery_worker")
def test_attempts_due_together_share_a_message_and_each_is_recorded(receiver, settings) -> None:
    settings.EXECUTION_MESSAGE_SIZE = 4
    receiver.expect_request("/together").respond_with_data("ok")
    jobs = [make_job(callback={"url": receiver.url_for("/together")}) for _ in range(6)]
    fire_due()
    done = Execution.objects.filter(job__in=jobs, status="succeeded")
    wait_for(lambda: done.count() == 6, message="six attempts")
    task_ids = list(done.values_list("task_id", flat=True))
    messages = {task_id.partition(":")[0] for task_id in task_ids}
    assert len(messages) == 2  # four in one message, two in the other
    results = TaskResult.objects.filter(task_id__in=task_ids, status="SUCCESS", task_name="tasks_app.tasks.execute")
    assert results.count() == 6 and len(receiver.log) == 6


@pytest.mark.usefixtures("celery_worker_one_callback_thread")
def test_attempts_waiting_for_a_callback_thread_extend_their_claim_before_calling(receiver, settings) -> None:
    """A message's attempts are claimed together as it arrives. With one callback thread the
    later ones wait longer than half their grace: each extends its claim before calling, so the
    sweep, running all along, never queues one again and nothing is called twice."""
    settings.EXECUTION_MESSAGE_SIZE = 5
    settings.EXECUTION_RECOVERY_GRACE_SECONDS = 1
    receiver.expect_request("/slow").respond_with_handler(lambda request: (time.sleep(0.9), Response("ok"))[1])
    jobs = [make_job(callback={"url": receiver.url_for("/slow"), "timeout_seconds": 3}) for _ in range(5)]
    recovered = 0

    def all_succeeded() -> bool:
        nonlocal recovered
        recovered += services.recover_lost_executions()
        fire_due()  # what the sweep queued again is sent again, as beat would
        return Execution.objects.filter(job__in=jobs, status="succeeded").count() == 5

    # Claims last 4 s (3 s timeout, 1 s grace); the fifth call starts at about 3.6 s and ends at 4.5 s.
    wait_for(all_succeeded, timeout=30, message="five attempts, one after another")
    assert recovered == 0
    assert len(receiver.log) == 5 and Execution.objects.filter(job__in=jobs).count() == 5
    assert len({task_id.partition(":")[0] for task_id in Execution.objects.filter(job__in=jobs).values_list("task_id", flat=True)}) == 1


@pytest.mark.usefixtures("celery_worker")
def test_attempts_sent_before_they_are_due_are_called_at_their_due_time(receiver, settings) -> None:
    """Beat sends attempts up to SCHEDULER_SEND_AHEAD_SECONDS early; the worker claims them as
    they arrive and calls each at its due moment, not before."""
    from datetime import timedelta

    from tasks_app import clock

    settings.SCHEDULER_SEND_AHEAD_SECONDS = 1.5
    called_at: dict[str, float] = {}

    def record(request):
        called_at[request.headers["X-Execution-Id"]] = time.time()
        return Response("ok")

    receiver.expect_request("/on-time").respond_with_handler(record)
    now = clock.now()
    dues = [now + timedelta(seconds=seconds) for seconds in (0.6, 0.9, 1.2)]
    jobs = [make_job(trigger={"kind": "at", "at": due.isoformat()}, callback={"url": receiver.url_for("/on-time")}) for due in dues]
    services.claim_due_occurrences(until=now + timedelta(seconds=2))
    assert services.dispatch_due_executions(send=send_executions, ahead=timedelta(seconds=1.5)) == 3  # one message, early
    done = Execution.objects.filter(job__in=jobs, status="succeeded")
    wait_for(lambda: done.count() == 3, message="three calls")
    for execution in done:
        assert execution.dispatched_at < execution.due_at <= execution.started_at
        assert execution.started_at.timestamp() <= called_at[str(execution.pk)] < execution.due_at.timestamp() + 0.5
