"""The one module that writes django-celery-beat rows: each job is mirrored by a PeriodicTask
(clocked + one_off for one-shots, interval, crontab) that operators see and toggle in the admin.
The job's own trigger stays the truth the scheduler fires from; see docs/decisions/0002."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from django.db.models import Model
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask

from tasks_app.cron import quartz_day_of_week_to_unix
from tasks_app.models import Job
from tasks_app.triggers import At, Cron, Interval, Now, Trigger, stored_trigger

FIRE_JOB_TASK = "tasks_app.tasks.fire_job"
# A cron field beat's crontab can hold as it is; Quartz's ?, L, W and # cannot.
_PLAIN_CRON_FIELD = re.compile(r"[0-9*,/\-]+|[A-Za-z]{3}(?:[-,][A-Za-z]{3})*")
ScheduleRow = TypeVar("ScheduleRow", bound=Model)
# Set while this module saves a job's PeriodicTask: tasks_app.signals then knows the save comes
# from the job (an operator's toggle in beat's admin is what it passes on to the job).
_mirroring_job: ContextVar[bool] = ContextVar("mirroring_job", default=False)


def is_mirroring_job() -> bool:
    """True while a PeriodicTask is being saved to match its job (on this thread or task)."""
    return _mirroring_job.get()


@contextmanager
def _mirroring() -> Iterator[None]:
    token = _mirroring_job.set(True)
    try:
        yield
    finally:
        _mirroring_job.reset(token)


def _shared_schedule(model: type[ScheduleRow], **fields: object) -> ScheduleRow:
    """A schedule row with these values, reused when one exists. Beat's schedule tables have no
    unique key, so ``get_or_create`` races: two requests creating jobs due the same second both
    insert, and every later ``get`` raises MultipleObjectsReturned. Here a race costs at most a
    duplicate row (harmless: the job's own trigger is what fires), never an error."""
    existing = model._default_manager.filter(**fields).order_by("pk").first()
    return existing or _new_schedule(model, **fields)


def _new_schedule(model: type[ScheduleRow], **fields: object) -> ScheduleRow:
    """Inserted without its save signal: django-celery-beat's marks beat's one-row change table
    on every schedule saved, which would make every creation wait on that one row's lock, and
    tells stock beat nothing (no plain PeriodicTask uses a row made for a job)."""
    [row] = model._default_manager.bulk_create([model(**fields)])
    return row


def periodic_task_name(job: Job) -> str:
    return f"job {job.pk}: {job}"[:200]


def is_plain_cron_field(value: str) -> bool:
    return bool(_PLAIN_CRON_FIELD.fullmatch(value))


def _crontab_field(value: str) -> str:
    return value if is_plain_cron_field(value) else "*"


def _crontab_for(trigger: Cron) -> CrontabSchedule:
    """The minute-level projection of the job's cron (the exact expression is in the description)."""
    fields = trigger.cron.expression.split()
    if len(fields) >= 6:
        fields = fields[1:6]
    if trigger.cron.syntax == "quartz":
        fields[4] = quartz_day_of_week_to_unix(fields[4])
    minute, hour, day_of_month, month_of_year, day_of_week = (_crontab_field(f) for f in fields)
    return _shared_schedule(
        CrontabSchedule,
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
        timezone=trigger.time_zone,
    )


def _schedule_fields(trigger: Trigger, job: Job) -> dict[str, object]:
    fields: dict[str, object] = {"interval": None, "crontab": None, "clocked": None, "one_off": False}
    if isinstance(trigger, Interval):
        period = IntervalSchedule.SECONDS if trigger.every_seconds >= 1 else IntervalSchedule.MICROSECONDS
        every = int(trigger.every_seconds) if period == IntervalSchedule.SECONDS else int(trigger.every_seconds * 1e6)
        fields["interval"] = _shared_schedule(IntervalSchedule, every=every, period=period)
        fields["start_time"], fields["expires"] = trigger.start_at, trigger.end_at
    elif isinstance(trigger, Cron):
        fields["crontab"] = _crontab_for(trigger)
        fields["start_time"], fields["expires"] = trigger.start_at, trigger.end_at
    else:
        moment = trigger.at if isinstance(trigger, At) else trigger.upcoming(job.created_at) if isinstance(trigger, Now) else None
        # A one-shot's moment is its own (to the microsecond): looking for a row to share is a wasted query.
        fields["clocked"] = _new_schedule(ClockedSchedule, clocked_time=moment or job.created_at)
        fields["one_off"] = True
    return fields


def sync_periodic_task(job: Job) -> None:
    """Create or update the job's PeriodicTask to match it (enabled = will fire again)."""
    trigger = stored_trigger(job.trigger)
    values = _schedule_fields(trigger, job) | {
        "name": periodic_task_name(job),
        "task": FIRE_JOB_TASK,
        "args": json.dumps([job.pk]),
        "enabled": job.enabled and job.next_fire_at is not None,
        "description": f"{trigger.to_json()}",
        "priority": job.priority,
    }
    periodic_task = job.periodic_task or PeriodicTask()
    for name, value in values.items():
        setattr(periodic_task, name, value)
    # Beat's one-row change table (PeriodicTasks) is left alone: JobScheduler does not schedule
    # from job rows (enabled_models_qs), and marking it would make every job change wait on
    # that one row's lock until its transaction commits.
    periodic_task.no_changes = True
    with _mirroring():
        periodic_task.save()
    if job.periodic_task_id != periodic_task.pk:
        job.periodic_task = periodic_task
        Job.objects.filter(pk=job.pk).update(periodic_task=periodic_task)


def delete_periodic_task(job: Job) -> None:
    row = PeriodicTask.objects.filter(pk=job.periodic_task_id).first() if job.periodic_task_id else None
    if row is not None:
        row.no_changes = True  # as in sync_periodic_task: beat's change table is not for job rows
        row.delete()


def disable_finished(job_ids: list[int]) -> None:
    """One-shots that fired: beat's own convention is a disabled one_off row. A plain update,
    without PeriodicTasks.update_changed(): JobScheduler does not schedule from these rows."""
    if job_ids:
        PeriodicTask.objects.filter(job__in=job_ids, enabled=True).update(enabled=False)
