from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from tasks_app import services
from tasks_app.models import Execution, ExecutionStatus, Job
from tests.factories import make_job

pytestmark = pytest.mark.django_db


def test_due_job_is_claimed_once_and_advanced() -> None:
    start = timezone.now() - timedelta(seconds=1)
    job = make_job(trigger={"kind": "interval", "every_seconds": 60, "start_at": start.isoformat()})
    assert services.claim_due_occurrences() == 1
    assert services.claim_due_occurrences() == 0
    job.refresh_from_db()
    assert job.next_fire_at == start + timedelta(seconds=60) and job.fire_count == 1
    execution = Execution.objects.get(job=job)
    assert execution.scheduled_for == start and execution.status == ExecutionStatus.QUEUED


def test_an_occurrence_cannot_be_written_twice() -> None:
    job = make_job()
    services.claim_due_occurrences()
    first = Execution.objects.get(job=job)
    with pytest.raises(IntegrityError):
        Execution.objects.create(job=job, scheduled_for=first.scheduled_for, attempt=1, due_at=first.due_at)


def test_one_shot_finishes_and_its_beat_row_is_disabled() -> None:
    job = make_job(trigger={"kind": "delay", "seconds": 0})
    assert job.periodic_task.one_off and job.periodic_task.enabled
    services.claim_due_occurrences()
    job.refresh_from_db()
    job.periodic_task.refresh_from_db()
    assert job.state == "finished" and not job.periodic_task.enabled


def test_dispatch_sends_each_due_execution_once() -> None:
    make_job()
    make_job(trigger={"kind": "delay", "seconds": 3600})
    services.claim_due_occurrences()
    sent: list[Execution] = []
    assert services.dispatch_due_executions(send=sent.extend) == 1
    assert services.dispatch_due_executions(send=sent.extend) == 0
    assert len(sent) == 1 and Execution.objects.get(pk=sent[0].pk).dispatched_at is not None


def test_paused_job_does_not_fire_and_resumes_on_its_next_occurrence() -> None:
    job = make_job(trigger={"kind": "interval", "every_seconds": 10, "start_at": timezone.now().isoformat()})
    services.pause_job(job=job)
    assert services.claim_due_occurrences() == 0
    assert job.periodic_task and not Job.objects.get(pk=job.pk).periodic_task.enabled
    resumed = services.resume_job(job=job)
    assert resumed.next_fire_at is not None and resumed.periodic_task.enabled


@pytest.mark.parametrize(
    ("policy", "fired", "skipped"),
    [("fire_once", 1, 9), ("skip", 0, 10), ("fire_all", 3, 7)],
)
def test_misfire_policies_record_every_missed_occurrence(policy: str, fired: int, skipped: int) -> None:
    start = timezone.now() - timedelta(seconds=100)
    job = make_job(
        trigger={"kind": "interval", "every_seconds": 10, "start_at": start.isoformat()},
        misfire_policy=policy, misfire_grace_seconds=1, misfire_catchup_limit=3,
    )  # fmt: skip
    Job.objects.filter(pk=job.pk).update(next_fire_at=start)  # as if the platform had been down
    services.claim_due_occurrences(now=start + timedelta(seconds=95))
    statuses = list(Execution.objects.filter(job=job).values_list("status", flat=True))
    assert statuses.count("queued") == fired and statuses.count("skipped") == skipped


def test_worker_that_died_mid_call_is_requeued_after_its_deadline() -> None:
    job = make_job()
    services.claim_due_occurrences()
    execution = Execution.objects.get(job=job)
    Execution.objects.filter(pk=execution.pk).update(
        status="running", started_at=timezone.now() - timedelta(seconds=70), deadline_at=timezone.now() - timedelta(seconds=1)
    )
    assert services.recover_lost_executions() == 1
    execution.refresh_from_db()
    assert execution.status == "queued" and execution.dispatched_at is None and "worker lost" in execution.error


def test_failed_attempt_queues_a_retry_in_the_database(httpserver) -> None:
    httpserver.expect_request("/fail").respond_with_data("no", status=500)
    job = make_job(url=httpserver.url_for("/fail"), retry={"delays_seconds": [30]})
    services.claim_due_occurrences()
    sent: list[Execution] = []
    services.dispatch_due_executions(send=sent.extend)
    services.run_execution(execution_id=sent[0].pk, task_id="t-1")
    first, retry = Execution.objects.filter(job=job).order_by("attempt")
    assert first.status == "failed" and first.response_status == 500 and first.task_id == "t-1"
    assert retry.attempt == 2 and retry.reason == "retry" and retry.status == "queued"
    assert retry.due_at >= timezone.now() + timedelta(seconds=25)
    assert services.dispatch_due_executions(send=sent.extend) == 0  # not due yet


@pytest.mark.parametrize(
    ("status", "retry_after", "policy_delay", "expected_delay"),
    [
        (503, "120", 1, 120),  # the callee asks for longer than the policy: it gets it
        (429, "1", 300, 300),  # shorter: the policy's delay stands
        (500, "120", 1, 1),  # Retry-After counts on 429 and 503 only
    ],
)
def test_retry_after_lengthens_the_wait_before_the_retry(httpserver, status, retry_after, policy_delay, expected_delay) -> None:
    httpserver.expect_request("/busy").respond_with_data("later", status=status, headers={"Retry-After": retry_after})
    job = make_job(url=httpserver.url_for("/busy"), retry={"delays_seconds": [policy_delay]})
    services.claim_due_occurrences()
    before = timezone.now()
    services.run_execution(execution_id=Execution.objects.get(job=job).pk)
    retry = Execution.objects.get(job=job, attempt=2)
    assert before + timedelta(seconds=expected_delay) <= retry.due_at <= timezone.now() + timedelta(seconds=expected_delay)


def test_duplicate_message_runs_the_attempt_once(httpserver) -> None:
    httpserver.expect_request("/ok").respond_with_data("ok")
    job = make_job(url=httpserver.url_for("/ok"))
    services.claim_due_occurrences()
    execution = Execution.objects.get(job=job)
    assert services.run_execution(execution_id=execution.pk)["status"] == "succeeded"
    assert services.run_execution(execution_id=execution.pk)["status"] == "not-queued"
    assert len(httpserver.log) == 1


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # Spring forward: 02:30 does not exist on 8 March 2026 in New York; it fires once, at 03:30 EDT.
        ("2026-03-07T12:00:00-05:00", ["2026-03-08T07:30:00+00:00", "2026-03-09T06:30:00+00:00"]),
        # Fall back: 01:30 happens twice on 1 November 2026; it fires once, at the first.
        ("2026-10-31T12:00:00-04:00", ["2026-11-01T05:30:00+00:00", "2026-11-02T06:30:00+00:00"]),
    ],
)
def test_dst_changes_fire_each_day_once(start: str, expected: list[str]) -> None:
    from datetime import datetime

    from tasks_app.triggers import stored_trigger

    hour = "2" if "03-07" in start else "1"
    trigger = {"kind": "cron", "cron": f"0 30 {hour} * * *", "syntax": "unix", "time_zone": "America/New_York"}
    job = make_job(trigger=trigger, misfire_grace_seconds=86400)
    begin = datetime.fromisoformat(start)
    Job.objects.filter(pk=job.pk).update(next_fire_at=stored_trigger(job.trigger).upcoming(begin))  # as if created then
    moment = begin
    for _ in range(4):  # walk two days, hour by hour, as a scheduler would
        moment += timedelta(hours=12)
        services.claim_due_occurrences(now=moment)
    fired = sorted(e.scheduled_for.isoformat() for e in Execution.objects.filter(job=job))
    assert fired == expected


@pytest.mark.parametrize(("policy", "statuses"), [("skip", ["queued", "skipped"]), ("queue", ["queued", "queued"])])
def test_overlap_policies(policy: str, statuses: list[str]) -> None:
    start = timezone.now() - timedelta(seconds=1)
    job = make_job(trigger={"kind": "interval", "every_seconds": 5, "start_at": start.isoformat()}, overlap_policy=policy)
    services.claim_due_occurrences()
    services.claim_due_occurrences(now=start + timedelta(seconds=5, milliseconds=1))
    rows = list(Execution.objects.filter(job=job).order_by("scheduled_for"))
    assert [row.status for row in rows] == statuses
    if policy == "queue":
        from tasks_app.attempts import HELD

        assert rows[1].due_at == HELD  # held until the first run ends
        services.run_execution(execution_id=rows[0].pk)  # fails (nothing listens) and ends
        rows[1].refresh_from_db()
        assert rows[1].due_at < HELD


def test_dispatch_groups_due_executions_into_messages_by_priority(settings) -> None:
    settings.EXECUTION_MESSAGE_SIZE = 2
    for _ in range(5):
        make_job()
    urgent = make_job(priority=9)
    services.claim_due_occurrences()
    messages: list[list[Execution]] = []
    assert services.dispatch_due_executions(send=messages.append) == 6
    assert [len(m) for m in messages] == [1, 2, 2, 1]
    assert messages[0][0].job_id == urgent.pk and all(e.priority == 0 for m in messages[1:] for e in m)


def test_next_due_is_the_earliest_job_occurrence_and_waiting_attempt() -> None:
    assert services.next_due() == services.firing.NextDue(None, None)
    later = make_job(trigger={"kind": "delay", "seconds": 3600})
    next_fire_at = Job.objects.get(pk=later.pk).next_fire_at
    assert services.next_due() == services.firing.NextDue(next_fire_at, None)
    make_job()  # due now: claimed into an execution that waits to be sent
    services.claim_due_occurrences()
    waiting = Execution.objects.get(status="queued", dispatched_at__isnull=True)
    assert services.next_due() == services.firing.NextDue(next_fire_at, waiting.due_at)
    services.dispatch_due_executions(send=lambda group: None)
    assert services.next_due() == services.firing.NextDue(next_fire_at, None)


def test_occurrences_claimed_ahead_wait_to_be_sent_until_due() -> None:
    job = make_job(trigger={"kind": "delay", "seconds": 10})
    now = timezone.now()
    assert services.claim_due_occurrences(now=now, until=now + timedelta(seconds=20)) == 1
    execution = Execution.objects.get(job=job)
    assert execution.status == "queued" and execution.error == ""  # on time, not a misfire
    sent: list[Execution] = []
    assert services.dispatch_due_executions(send=sent.extend, now=now) == 0
    assert services.dispatch_due_executions(send=sent.extend, now=execution.due_at) == 1


@pytest.mark.parametrize("change", [{"enabled": False}, {"trigger": {"kind": "delay", "seconds": 3600}}, {"priority": 3}])
def test_a_change_takes_back_an_occurrence_claimed_ahead(change: dict) -> None:
    job = make_job(trigger={"kind": "delay", "seconds": 10})
    due = Job.objects.get(pk=job.pk).next_fire_at
    now = timezone.now()
    services.claim_due_occurrences(now=now, until=now + timedelta(seconds=20))
    job = services.update_job(job=Job.objects.get(pk=job.pk), **change)
    assert not Execution.objects.filter(job=job).exists()
    if "trigger" in change:
        assert job.next_fire_at > due + timedelta(seconds=3000)
    else:
        assert (job.next_fire_at, job.fire_count) == (due, 0)


def test_attempts_due_within_the_send_ahead_window_are_sent_before_they_are_due() -> None:
    job = make_job(trigger={"kind": "delay", "seconds": 10})
    now = timezone.now()
    services.claim_due_occurrences(now=now, until=now + timedelta(seconds=20))
    due = Execution.objects.get(job=job).due_at
    sent: list[Execution] = []
    early = due - timedelta(seconds=5)
    assert services.dispatch_due_executions(send=sent.extend, now=early, ahead=timedelta(seconds=4)) == 0
    assert services.dispatch_due_executions(send=sent.extend, now=early, ahead=timedelta(seconds=6)) == 1
    assert Execution.objects.get(job=job).dispatched_at == early


def test_a_change_takes_back_an_occurrence_sent_ahead_that_no_worker_has_taken() -> None:
    from tasks_app.attempts.claims import ClaimRequest, claim_many

    job = make_job(trigger={"kind": "delay", "seconds": 10})
    now = timezone.now()
    services.claim_due_occurrences(now=now, until=now + timedelta(seconds=20))
    sent: list[Execution] = []
    services.dispatch_due_executions(send=sent.extend, now=now, ahead=timedelta(seconds=20))
    services.update_job(job=Job.objects.get(pk=job.pk), enabled=False)
    assert not Execution.objects.filter(job=job).exists()
    assert claim_many([ClaimRequest(sent[0].pk, "task")]) == [None]  # the message arrives: nothing to call
