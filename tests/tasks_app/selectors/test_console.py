"""The console's read-only queries: bounded windows and counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tasks_app import selectors, services
from tasks_app.models import Execution, Job
from tests.factories import make_job
from tests.tasks_app.admin.conftest import _console_cache, finished_run  # noqa: F401  (autouse)

pytestmark = pytest.mark.django_db
CRON = {"kind": "cron", "cron": "0 12 * * *"}


def test_executions_per_hour_counts_outcomes_in_the_last_24_hours() -> None:
    now, job = timezone.now(), make_job()
    finished_run(job, succeeded=True, now=now)
    finished_run(job, succeeded=True, now=now - timedelta(hours=1))
    finished_run(job, succeeded=False, now=now - timedelta(hours=1))
    finished_run(job, succeeded=False, now=now - timedelta(hours=30))
    services.trigger_job(job=job)  # queued: no outcome yet
    buckets = selectors.executions_per_hour(now=now)
    assert len(buckets) == 24 and buckets[-1].hour == now.replace(minute=0, second=0, microsecond=0)
    assert buckets[-1].counts == {"succeeded": 1}
    assert buckets[-2].counts == {"succeeded": 1, "failed": 1} and buckets[-2].total == 2
    assert sum(bucket.total for bucket in buckets) == 3


def test_a_settled_hour_is_counted_once_and_then_read_from_the_cache() -> None:
    now, job = timezone.now(), make_job()
    finished_run(job, succeeded=True, now=now - timedelta(hours=3))
    assert selectors.executions_per_hour(now=now)[-4].counts == {"succeeded": 1}
    # Written into a settled hour only to show that the cache is read (a real finished_at is "now").
    finished_run(job, succeeded=False, now=now - timedelta(hours=3))
    finished_run(job, succeeded=False, now=now)
    buckets = selectors.executions_per_hour(now=now)
    assert buckets[-4].counts == {"succeeded": 1} and buckets[-1].counts == {"failed": 1}


def test_fire_lateness_percentiles_of_scheduled_attempts_in_the_last_hour() -> None:
    now, job = timezone.now(), make_job()
    for late_ms in range(1, 101):
        run = finished_run(job, succeeded=True, now=now - timedelta(minutes=5))
        Execution.objects.filter(pk=run.pk).update(reason="schedule", started_at=run.due_at + timedelta(milliseconds=late_ms))
    old = finished_run(job, succeeded=True, now=now - timedelta(hours=2))
    Execution.objects.filter(pk=old.pk).update(reason="schedule", started_at=old.due_at + timedelta(seconds=60))
    assert selectors.fire_lateness(now=now) == selectors.Lateness(samples=100, p50=50, p99=99)
    assert selectors.fire_lateness(now=now, window=timedelta(hours=3)).samples == 101


def test_failing_jobs_ranks_by_failures_in_the_window_with_the_latest_error() -> None:
    now = timezone.now()
    worst, second, long_ago = make_job(name="worst"), make_job(name="second"), make_job(name="long-ago")
    for attempt in range(3):
        finished_run(worst, succeeded=False, error=f"HTTP 50{attempt}")
    finished_run(second, succeeded=False, error="timeout")
    finished_run(second, succeeded=True)
    finished_run(long_ago, succeeded=False, now=now - timedelta(days=2))
    failing = selectors.failing_jobs(now=now)
    assert [(f.job.name, f.failures, f.job.last_error) for f in failing] == [("worst", 3, "HTTP 502"), ("second", 1, "timeout")]


def test_bounded_count_is_exact_below_its_cap_and_approximate_above() -> None:
    for _ in range(5):
        make_job(trigger=CRON)
    assert selectors.bounded_count(Job.objects.all(), cap=10) == selectors.Tally(5)
    over = selectors.bounded_count(Job.objects.all(), cap=3)
    if connection.vendor == "postgresql":
        assert over.estimated and str(over).startswith("≈")
    else:
        assert over == selectors.Tally(3, capped=True) and str(over) == "3+"


def test_job_states_and_next_fires() -> None:
    soon = make_job(trigger={"kind": "at", "at": (timezone.now() + timedelta(minutes=5)).isoformat()})
    # Not CRON (12:00 daily): between 11:55 and 12:00 it would fire before ``soon``.
    later = make_job(trigger={"kind": "cron", "cron": "0 12 1 1 *"})
    make_job(trigger=CRON, enabled=False)
    states = selectors.job_states()
    assert {state: tally.value for state, tally in states.items()} == {"scheduled": 2, "paused": 1, "finished": 0}
    assert [job.pk for job in selectors.next_fires()] == [soon.pk, later.pk]
