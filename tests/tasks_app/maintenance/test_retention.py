"""Retention: finished executions and their TaskResults are purged past their retention, in
bounded batches, by a beat task that a real worker runs."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_results.models import TaskResult

from tasks_app import clock, services
from tasks_app.maintenance.retention import FULL_SCAN_EVERY
from tasks_app.models import Execution, Job
from tasks_app.tasks import purge_expired_executions
from tests.conftest import wait_for
from tests.factories import make_job

LATER = {"kind": "at", "at": "2099-01-01T00:00:00+00:00"}


@pytest.fixture(autouse=True)
def _defaults(settings) -> None:
    """The documented defaults, no pause between batches, no mark left by another test."""
    cache.clear()
    settings.EXECUTION_RETENTION_DAYS = 30
    settings.EXECUTION_FAILURE_RETENTION_DAYS = 90
    settings.EXECUTION_RETENTION_BY_NAMESPACE = {}
    settings.EXECUTION_PURGE_PAUSE_SECONDS = 0


def job_in(namespace: str = "tests") -> Job:
    return make_job(namespace=namespace, trigger=LATER)


def finished(job: Job | None, *, days_ago: float, status: str = "succeeded", count: int = 1) -> list[Execution]:
    """``count`` attempts of ``job`` that ended ``days_ago``, each with its TaskResult of then."""
    moment = timezone.now() - timedelta(days=days_ago)
    executions = Execution.objects.bulk_create(
        Execution(
            job=job, scheduled_for=moment - timedelta(seconds=index), due_at=moment, status=status,
            started_at=moment, finished_at=moment, task_id=str(uuid4()),
        )
        for index in range(count)
    )  # fmt: skip
    task_result(*[e.task_id for e in executions], days_ago=days_ago)
    return executions


def task_result(*task_ids: str, days_ago: float) -> None:
    TaskResult.objects.bulk_create(TaskResult(task_id=task_id, status="SUCCESS") for task_id in task_ids)
    # date_done is auto_now: set after the insert.
    TaskResult.objects.filter(task_id__in=task_ids).update(date_done=timezone.now() - timedelta(days=days_ago))


def left(executions: list[Execution]) -> set[int]:
    return set(Execution.objects.filter(pk__in=[e.pk for e in executions]).values_list("pk", flat=True))


def ids(*groups: list[Execution]) -> set[int]:
    return {e.pk for group in groups for e in group}


@pytest.mark.django_db
def test_finished_executions_past_the_retention_are_purged_and_recent_ones_kept() -> None:
    job = job_in()
    old = [*finished(job, days_ago=31), *finished(job, days_ago=31, status="skipped"), *finished(job, days_ago=91, status="failed")]
    recent = [*finished(job, days_ago=29), *finished(job, days_ago=29, status="skipped"), *finished(job, days_ago=1, status="failed")]
    purged = services.purge_expired_executions()
    assert left(old + recent) == ids(recent)
    assert (purged.executions, purged.task_results, purged.complete) == (3, 3, True)


@pytest.mark.django_db
def test_queued_and_running_attempts_are_never_purged() -> None:
    job = job_in()
    # finished_at set too, though it never is on such rows: only their status protects them.
    unfinished = finished(job, days_ago=400, status="queued") + finished(job, days_ago=400, status="running")
    services.purge_expired_executions()
    assert left(unfinished) == ids(unfinished)


@pytest.mark.django_db
def test_failures_are_kept_for_the_failure_retention() -> None:
    job = job_in()
    kept, gone = finished(job, days_ago=89, status="failed"), finished(job, days_ago=91, status="failed")
    services.purge_expired_executions()
    assert left(kept + gone) == ids(kept)


@pytest.mark.django_db
def test_a_namespace_has_its_own_retention_and_failures_the_longer_of_two(settings) -> None:
    settings.EXECUTION_RETENTION_BY_NAMESPACE = {"billing": 120, "noisy": 7}
    billing, noisy, other = job_in("billing"), job_in("noisy"), job_in("other")
    kept = [
        *finished(billing, days_ago=100), *finished(billing, days_ago=100, status="failed"),
        *finished(noisy, days_ago=6), *finished(noisy, days_ago=8, status="failed"), *finished(other, days_ago=29),
    ]  # fmt: skip
    gone = [
        *finished(billing, days_ago=121), *finished(billing, days_ago=121, status="failed"),
        *finished(noisy, days_ago=8), *finished(noisy, days_ago=91, status="failed"), *finished(other, days_ago=31),
    ]  # fmt: skip
    services.purge_expired_executions()
    assert left(kept + gone) == ids(kept)


@pytest.mark.django_db
def test_executions_of_a_deleted_job_have_the_default_retention(settings) -> None:
    settings.EXECUTION_RETENTION_BY_NAMESPACE = {"billing": 120}
    job = job_in("billing")
    gone, kept = finished(job, days_ago=31), finished(job, days_ago=29)
    services.delete_job(job=job)
    services.purge_expired_executions()
    assert left(gone + kept) == ids(kept)


@pytest.mark.django_db
def test_task_results_go_with_their_executions_and_those_of_no_execution_after_the_default() -> None:
    job = job_in()
    gone, kept_failure = finished(job, days_ago=31), finished(job, days_ago=60, status="failed")
    task_result("housekeeping-old", days_ago=31)
    task_result("housekeeping-new", days_ago=29)
    purged = services.purge_expired_executions()
    remaining = set(TaskResult.objects.values_list("task_id", flat=True))
    assert remaining == {kept_failure[0].task_id, "housekeeping-new"} and gone[0].task_id not in remaining
    assert (purged.executions, purged.task_results) == (1, 2)


@pytest.mark.django_db
def test_each_batch_deletes_at_most_the_batch_size() -> None:
    rows = finished(job_in(), days_ago=40, count=10)
    with CaptureQueriesContext(connection) as queries:
        purged = services.purge_expired_executions(batch_size=3)
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('DELETE FROM "tasks_app_execution"')]
    assert left(rows) == set() and len(deletes) == 4  # 3 + 3 + 3 + 1
    assert purged.executions == 10 and purged.complete


@pytest.mark.django_db
def test_a_run_stops_at_its_batch_cap_and_the_next_run_goes_on() -> None:
    rows = finished(job_in(), days_ago=40, count=10)
    first = services.purge_expired_executions(batch_size=3, max_batches=2)
    assert (first.executions, first.batches, first.complete) == (6, 2, False) and len(left(rows)) == 4
    second = services.purge_expired_executions(batch_size=3, max_batches=10)
    assert left(rows) == set() and second.executions == 4 and second.complete


@pytest.mark.django_db
def test_a_run_reads_on_from_where_the_last_one_looked_and_everything_again_after_a_day() -> None:
    job = job_in()
    services.purge_expired_executions()
    behind = finished(job, days_ago=40)  # as rows imported with old dates would
    services.purge_expired_executions()
    assert left(behind) == ids(behind)
    services.purge_expired_executions(now=clock.now() + FULL_SCAN_EVERY)
    assert left(behind) == set()


@pytest.mark.usefixtures("celery_worker")
def test_the_beat_task_purges_through_a_real_worker() -> None:
    job = job_in()
    gone, kept = finished(job, days_ago=31, count=5), finished(job, days_ago=1, count=2)
    purge_expired_executions.delay()
    wait_for(lambda: left(gone + kept) == ids(kept), message="the worker to purge")
    assert not TaskResult.objects.filter(task_id__in=[e.task_id for e in gone]).exists()


@pytest.mark.django_db(transaction=True)  # beat closes a connection found inside a transaction
def test_beat_installs_the_purge_and_not_celerys_unbounded_cleanup() -> None:
    from scheduler_project.celery import app
    from tasks_app.scheduler import JobScheduler

    JobScheduler(app=app)
    tasks = set(PeriodicTask.objects.values_list("task", flat=True))
    assert "tasks_app.tasks.purge_expired_executions" in tasks and "celery.backend_cleanup" not in tasks
