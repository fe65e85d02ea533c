"""No one job stops the scheduler: rows edited by hand whose trigger raises inside beat (or never
moves forward) are disabled with the reason recorded on them and logged, while every other job
keeps firing on time. Real beat and worker processes, rows written directly to the database."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from werkzeug import Request, Response

from tasks_app.models import Execution, Job
from tasks_app.services import claim_due_occurrences
from tests.conftest import wait_for
from tests.factories import make_job

FAR = (timezone.now() + timedelta(days=30)).isoformat()
BROKEN_TRIGGERS = {
    "tiny-interval": {"kind": "interval", "every_seconds": 1e-9, "start_at": "2026-01-01T00:00:00+00:00", "time_zone": "UTC"},
    "bad-cron": {"kind": "cron", "cron": "not a cron", "time_zone": "UTC"},
    "bad-zone": {"kind": "cron", "cron": "* * * * *", "time_zone": "Mars/Olympus"},
    "huge-interval": {"kind": "interval", "every_seconds": 1e300, "start_at": "2026-01-01T00:00:00+00:00", "time_zone": "UTC"},
}


def broken_job(name: str, trigger: dict, url: str) -> Job:
    """A job made through the services, then edited by hand into a trigger they would refuse."""
    job = make_job(name=name, callback={"url": url}, trigger={"kind": "at", "at": FAR})
    Job.objects.filter(pk=job.pk).update(trigger=trigger, next_fire_at=timezone.now() - timedelta(seconds=1))
    return job


@pytest.mark.django_db
def test_a_job_whose_trigger_raises_is_disabled_and_the_batch_goes_on() -> None:
    healthy = make_job(name="healthy", trigger={"kind": "interval", "every_seconds": 1})
    broken = {name: broken_job(name, trigger, "http://127.0.0.1:9/") for name, trigger in BROKEN_TRIGGERS.items()}
    claim_due_occurrences(until=timezone.now() + timedelta(seconds=2))
    assert Execution.objects.filter(job=healthy).count() >= 1
    for name, job in broken.items():
        job.refresh_from_db()
        assert not job.enabled and job.disabled_reason.startswith("disabled by the scheduler"), name
        assert not job.periodic_task.enabled
    assert "every_seconds: must be at least 0.1" in broken["tiny-interval"].disabled_reason


@pytest.mark.django_db
def test_a_trigger_that_does_not_move_forward_is_disabled_not_fired_forever(settings) -> None:
    settings.SCHEDULER_MIN_INTERVAL_SECONDS = 0  # as if the rule were not there: 1e-9 s is 0 in a timedelta
    healthy = make_job(name="healthy", trigger={"kind": "interval", "every_seconds": 1})
    stuck = broken_job("stuck", BROKEN_TRIGGERS["tiny-interval"], "http://127.0.0.1:9/")
    claim_due_occurrences(until=timezone.now() + timedelta(seconds=2))
    stuck.refresh_from_db()
    assert not stuck.enabled and "is not later" in stuck.disabled_reason
    assert Execution.objects.filter(job=stuck).count() == 0 and Execution.objects.filter(job=healthy).exists()


@pytest.mark.e2e
def test_ordinary_jobs_keep_firing_on_time_beside_broken_rows_under_real_beat(processes, receiver) -> None:
    arrivals: dict[str, list[float]] = {}

    def record(request: Request) -> Response:
        arrivals.setdefault(request.path, []).append(time.time())
        return Response("ok")

    receiver.expect_request("/ordinary").respond_with_handler(record)
    receiver.expect_request("/ancient").respond_with_handler(record)
    processes.worker()
    processes.beat()
    time.sleep(2)
    for name, trigger in BROKEN_TRIGGERS.items():
        broken_job(name, trigger, receiver.url_for("/broken"))
    ancient = make_job(name="ancient", callback={"url": receiver.url_for("/ancient")}, trigger={"kind": "at", "at": FAR})
    year_one = datetime(1, 1, 1, tzinfo=UTC)
    Execution.objects.create(job=ancient, scheduled_for=year_one, due_at=year_one, reason="manual")  # beat once crashed on it
    Job.objects.filter(pk=ancient.pk).update(trigger={"kind": "at", "at": year_one.isoformat(), "time_zone": "UTC"}, next_fire_at=year_one)
    start = (timezone.now() + timedelta(seconds=2)).replace(microsecond=0)
    ordinary = make_job(
        name="ordinary", callback={"url": receiver.url_for("/ordinary")},
        trigger={"kind": "interval", "every_seconds": 1, "start_at": start.isoformat(), "repeat_count": 5},
    )  # fmt: skip
    wait_for(lambda: Execution.objects.filter(job=ordinary, status="succeeded").count() == 5, timeout=30, message="five fires")
    lateness = [at - (start.timestamp() + n) for n, at in enumerate(sorted(arrivals["/ordinary"]))]
    assert all(0 <= late < 1.0 for late in lateness), lateness
    assert wait_for(lambda: arrivals.get("/ancient"), timeout=10, message="the attempt due in year 1 to be sent")
    disabled = Job.objects.filter(name__in=[*BROKEN_TRIGGERS, "ancient"], enabled=False).exclude(disabled_reason="")
    assert disabled.count() == len(BROKEN_TRIGGERS) + 1
    assert "/broken" not in arrivals
    assert "disabled: its trigger failed" in processes.log("beat")
    assert "Traceback" not in processes.log("beat").split("disabled: its trigger failed")[0]
