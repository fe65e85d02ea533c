"""Operators toggle a job's PeriodicTask in beat's admin: that reaches the job, via the services."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver
from django_celery_beat.models import PeriodicTask

from tasks_app import schedules


@receiver(post_save, sender=PeriodicTask)
def periodic_task_toggled(sender: type[PeriodicTask], instance: PeriodicTask, **kwargs: Any) -> None:
    if schedules.is_mirroring_job():
        return  # written by tasks_app.schedules to match the job: nothing to pass on
    from tasks_app import services
    from tasks_app.models import Job

    job = Job.objects.filter(periodic_task=instance).first()
    if job is None or instance.enabled == job.enabled:
        return
    if instance.enabled:
        services.resume_job(job=job)
    else:
        services.pause_job(job=job)
