"""A job's PeriodicTask passes an operator's toggle on to the job, and only that: the saves that
mirror the job itself are not passed back."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from tasks_app import schedules, services
from tasks_app.models import Job
from tests.factories import make_job

pytestmark = pytest.mark.django_db
CRON = {"kind": "cron", "cron": "0 12 * * *", "time_zone": "UTC"}


def test_an_operator_disabling_the_row_pauses_the_job_and_enabling_it_resumes_it() -> None:
    job = make_job(trigger=CRON)
    row = job.periodic_task
    row.enabled = False
    row.save()
    assert not Job.objects.get(pk=job.pk).enabled
    row.enabled = True
    row.save()
    assert Job.objects.get(pk=job.pk).enabled


def test_the_row_of_a_job_with_nothing_left_to_fire_is_disabled_without_pausing_the_job() -> None:
    """Mirroring writes enabled=false for a job that will not fire again; that is not a pause."""
    job = make_job(trigger=CRON)
    Job.objects.filter(pk=job.pk).update(next_fire_at=None)
    job.refresh_from_db()
    schedules.sync_periodic_task(job)
    job.refresh_from_db()
    assert job.enabled and not job.periodic_task.enabled


def test_mirroring_ends_with_the_save_even_when_it_fails() -> None:
    job = make_job(trigger=CRON)
    job.periodic_task.name = None  # NOT NULL: the save raises
    with pytest.raises(IntegrityError), schedules._mirroring():
        job.periodic_task.save()
    assert not schedules.is_mirroring_job()


def test_mirroring_a_job_leaves_beats_change_table_alone_and_a_plain_task_still_marks_it() -> None:
    """Beat's one-row change table is what every writer of it waits on: jobs do not touch it
    (JobScheduler does not schedule from their rows), stock beat's own tasks still do."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

    before = PeriodicTasks.last_change()
    job = make_job(trigger={"kind": "interval", "every_seconds": 30})
    make_job(trigger=CRON)
    make_job(trigger={"kind": "delay", "seconds": 60})
    services.pause_job(job=job)
    services.delete_job(job=job)
    assert PeriodicTasks.last_change() == before
    every_minute = IntervalSchedule.objects.create(every=60, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="housekeeping", task="tasks_app.tasks.noop", interval=every_minute)
    assert PeriodicTasks.last_change() not in (None, before)
