"""django-celery-beat's PeriodicTask admin, made safe for rows that mirror jobs: those are
read-only with a link to their job, and beat's bulk actions reach them through the services
(stock beat uses queryset.update, which would leave the job behind). Rows of no job keep
stock behaviour. The list drops beat's unbounded parts (a date hierarchy and a DISTINCT over
task names) and its change page loads no schedule dropdowns (raw ids instead). Beat's schedule
pages link to the rows that use a schedule instead of listing them all inline."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django_celery_beat.admin import (
    ClockedScheduleAdmin,
    CrontabScheduleAdmin,
    IntervalScheduleAdmin,
    PeriodicTaskAdmin,
    SolarScheduleAdmin,
)
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask, SolarSchedule

from tasks_app import schedules, selectors, services
from tasks_app.admin.filters import BelongsToJobFilter
from tasks_app.admin.lists import ConsoleListMixin
from tasks_app.exceptions import JobError
from tasks_app.models import Job


def _split(queryset: QuerySet[PeriodicTask]) -> tuple[list[Job], QuerySet[PeriodicTask]]:
    """The jobs behind the selected rows, and the rows that belong to no job."""
    jobs = list(Job.objects.filter(periodic_task__in=queryset.values("pk")).select_related("periodic_task"))
    return jobs, queryset.filter(job__isnull=True)


def _fits_beat(expression: str) -> bool:
    """Whether beat's five crontab fields hold the expression exactly."""
    fields = expression.split()
    return len(fields) == 5 and all(schedules.is_plain_cron_field(field) for field in fields)


def _belongs_to_job(task: PeriodicTask | None) -> bool:
    """Whether the row mirrors a job (the reverse one-to-one is cached on the row once read)."""
    return task is not None and getattr(task, "job", None) is not None


admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class ConsolePeriodicTaskAdmin(ConsoleListMixin, PeriodicTaskAdmin):
    date_hierarchy = None
    list_display = ("name", "enabled", "scheduler", "job_link", "one_off", "last_run_at")
    list_filter = ["enabled", "one_off", BelongsToJobFilter]
    raw_id_fields = ("interval", "crontab", "solar", "clocked")
    ordering = ["-id"]
    sortable_by = ["name"]
    actions = ("enable_tasks", "disable_tasks", "toggle_tasks", "run_tasks", "delete_selected")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PeriodicTask]:
        return super().get_queryset(request).select_related("job")

    def has_change_permission(self, request: HttpRequest, obj: PeriodicTask | None = None) -> bool:
        return super().has_change_permission(request, obj) and not _belongs_to_job(obj)

    def has_delete_permission(self, request: HttpRequest, obj: PeriodicTask | None = None) -> bool:
        return super().has_delete_permission(request, obj) and not _belongs_to_job(obj)

    def get_readonly_fields(self, request: HttpRequest, obj: PeriodicTask | None = None) -> Any:
        fields = super().get_readonly_fields(request, obj)
        return ("job_link", "scheduler", *fields) if _belongs_to_job(obj) else fields

    def get_fieldsets(self, request: HttpRequest, obj: PeriodicTask | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if not _belongs_to_job(obj):
            return fieldsets
        description = "This row mirrors a job: change the job instead."
        return [("Job", {"fields": ["job_link", "scheduler"], "description": description}), *fieldsets]

    def changeform_view(self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None) -> Any:
        # Skips beat's own override, which loads every CrontabSchedule for its dropdown script.
        return admin.ModelAdmin.changeform_view(self, request, object_id, form_url, extra_context)

    @admin.display(description="schedule")
    def scheduler(self, task: PeriodicTask) -> str:
        """A job's row holds a minute-level projection of its cron (beat's crontab has no seconds,
        years or Quartz specials): the row shows the job's own expression, which is what fires."""
        job = getattr(task, "job", None)
        trigger = job.trigger if job is not None else {}
        if trigger.get("kind") != "cron" or _fits_beat(trigger["cron"]):
            return str(task.scheduler)
        return f"{trigger['cron']} ({trigger.get('syntax') or 'quartz'}, {trigger.get('time_zone', '')}; seconds: see the job)"

    @admin.display(description="job")
    def job_link(self, task: PeriodicTask) -> str:
        job = getattr(task, "job", None)
        if job is None:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:tasks_app_job_change", args=[job.pk]), job)

    # --- beat's actions: job rows through the services ------------------------------------

    def _on_jobs(self, request: HttpRequest, jobs: list[Job], service: Any) -> int:
        done = 0
        for job in jobs:
            try:
                service(job)
                done += 1
            except JobError as error:
                self.message_user(request, f"{job}: {error}", messages.WARNING)
        return done

    def _stock_and_jobs(self, request: HttpRequest, queryset: QuerySet[PeriodicTask], stock: Any, service: Any, verb: str) -> None:
        if self.too_many(request, queryset):
            return
        jobs, plain = _split(queryset)
        done = self._on_jobs(request, jobs, service)
        if plain.exists():
            stock(self, request, plain)
        if jobs:
            self.message_user(request, f"{verb} {done} job(s) through the job services.")

    @admin.action(description="Enable selected tasks (jobs: resume)")
    def enable_tasks(self, request: HttpRequest, queryset: QuerySet[PeriodicTask]) -> None:
        self._stock_and_jobs(request, queryset, PeriodicTaskAdmin.enable_tasks, lambda job: services.resume_job(job=job), "Resumed")

    @admin.action(description="Disable selected tasks (jobs: pause)")
    def disable_tasks(self, request: HttpRequest, queryset: QuerySet[PeriodicTask]) -> None:
        self._stock_and_jobs(request, queryset, PeriodicTaskAdmin.disable_tasks, lambda job: services.pause_job(job=job), "Paused")

    @admin.action(description="Toggle activity of selected tasks (jobs: pause or resume)")
    def toggle_tasks(self, request: HttpRequest, queryset: QuerySet[PeriodicTask]) -> None:
        def toggle(job: Job) -> None:  # flips what the row shows: enabled = will fire again
            row_enabled = job.periodic_task is not None and job.periodic_task.enabled
            (services.pause_job if row_enabled else services.resume_job)(job=job)

        self._stock_and_jobs(request, queryset, PeriodicTaskAdmin.toggle_tasks, toggle, "Toggled")

    @admin.action(description="Run selected tasks (jobs: run now)")
    def run_tasks(self, request: HttpRequest, queryset: QuerySet[PeriodicTask]) -> None:
        self._stock_and_jobs(request, queryset, PeriodicTaskAdmin.run_tasks, lambda job: services.trigger_job(job=job), "Queued a run of")

    @admin.action(description="Delete selected periodic tasks (not those of jobs)", permissions=["delete"])
    def delete_selected(self, request: HttpRequest, queryset: QuerySet[PeriodicTask]) -> TemplateResponse | HttpResponse | None:
        if queryset.filter(job__isnull=False).exists():
            self.message_user(request, "Some selected rows belong to jobs: delete those jobs instead.", messages.ERROR)
            return None
        return delete_selected(self, request, queryset)  # type: ignore[no-any-return]


# --- schedules: a link to the rows that use one, instead of beat's inline of every such row ---

SCHEDULE_FIELDS = {CrontabSchedule: "crontab", IntervalSchedule: "interval", ClockedSchedule: "clocked", SolarSchedule: "solar"}


class ScheduleUsageMixin:
    """Beat lists every PeriodicTask of a schedule inline: tens of thousands of rows for a cron
    that many jobs share. Here: a (bounded) count linking to the filtered list instead."""

    inlines: list[Any] = []

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*super().get_readonly_fields(request, obj), "periodic_tasks")  # type: ignore[misc]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_fields(request, obj))  # type: ignore[misc]
        return fields if "periodic_tasks" in fields or obj is None else [*fields, "periodic_tasks"]

    @admin.display(description="periodic tasks")
    def periodic_tasks(self, schedule: Any) -> str:
        if schedule is None or schedule.pk is None:
            return "—"
        field = SCHEDULE_FIELDS[type(schedule)]
        tally = selectors.bounded_count(PeriodicTask.objects.filter(**{field: schedule}), cap=1000)
        url = reverse("admin:django_celery_beat_periodictask_changelist") + f"?{field}__id__exact={schedule.pk}"
        return format_html('<a href="{}">{} periodic task(s) use this schedule</a>', url, tally)


for _model, _stock in (
    (CrontabSchedule, CrontabScheduleAdmin),
    (IntervalSchedule, IntervalScheduleAdmin),
    (ClockedSchedule, ClockedScheduleAdmin),
    (SolarSchedule, SolarScheduleAdmin),
):
    admin.site.unregister(_model)
    admin.site.register(_model, type(f"Console{_stock.__name__}", (ScheduleUsageMixin, ConsoleListMixin, _stock), {}))
