"""The operator console: jobs and executions, changed only through tasks_app.services."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from tasks_app import services
from tasks_app.callbacks import build_callback
from tasks_app.exceptions import JobError
from tasks_app.models import Execution, Job
from tasks_app.retry import RetryPolicy
from tasks_app.triggers import build_trigger

LATEST_EXECUTIONS = 20


class JobForm(forms.ModelForm):
    """Validates trigger, callback and retry with the domain's own rules, field by field."""

    class Meta:
        model = Job
        fields = [
            "namespace", "name", "trigger", "callback", "retry", "enabled", "priority",
            "misfire_policy", "misfire_grace_seconds", "misfire_catchup_limit", "overlap_policy",
        ]  # fmt: skip

    def _domain_clean(self, field: str, build: Any) -> Any:
        value = self.cleaned_data.get(field)
        try:
            build(value)
        except JobError as error:
            raise forms.ValidationError(str(error)) from None
        return value

    def clean_trigger(self) -> Any:
        return self._domain_clean("trigger", lambda v: build_trigger(v, now=timezone.now()))

    def clean_callback(self) -> Any:
        return self._domain_clean("callback", build_callback)

    def clean_retry(self) -> Any:
        return self._domain_clean("retry", RetryPolicy.from_json)


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    form = JobForm
    list_display = ["id", "dialect", "namespace", "name", "state", "next_fire_at", "priority"]
    list_filter = ["dialect", "enabled"]
    search_fields = ["name", "namespace"]
    readonly_fields = ["dialect", "next_fire_at", "fire_count", "periodic_task", "created_at", "updated_at", "latest_executions"]
    actions = ["pause", "resume", "run_now", "delete_through_services"]
    show_full_result_count = False

    def save_model(self, request: HttpRequest, obj: Job, form: forms.ModelForm, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in JobForm.Meta.fields if name in form.cleaned_data}
        try:
            if change:
                services.update_job(job=obj, **values)
            else:
                obj.pk = services.create_job(**values).pk
        except JobError as error:
            self.message_user(request, str(error), messages.ERROR)

    def delete_model(self, request: HttpRequest, obj: Job) -> None:
        services.delete_job(job=obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="latest executions")
    def latest_executions(self, job: Job) -> str:
        rows = job.executions.order_by("-id")[:LATEST_EXECUTIONS]
        cells = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:tasks_app_execution_change", args=[e.pk]),
                    e.pk,
                    e.scheduled_for,
                    e.attempt,
                    e.reason,
                    e.status,
                    e.error[:120],
                )
                for e in rows
            ),
        )
        return format_html(
            "<table><tr><th>id</th><th>scheduled for</th><th>attempt</th><th>reason</th><th>status</th><th>error</th></tr>{}</table>",
            cells,
        )

    def _each(self, request: HttpRequest, jobs: QuerySet[Job], service: Any, verb: str) -> None:
        for job in jobs:
            service(job=job)
        self.message_user(request, f"{verb} {len(jobs)} job(s).")

    @admin.action(description="Pause selected jobs")
    def pause(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        self._each(request, queryset, services.pause_job, "Paused")

    @admin.action(description="Resume selected jobs")
    def resume(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        self._each(request, queryset, services.resume_job, "Resumed")

    @admin.action(description="Run selected jobs now")
    def run_now(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        self._each(request, queryset, services.trigger_job, "Queued a run of")

    @admin.action(description="Delete selected jobs (executions are kept)")
    def delete_through_services(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        self._each(request, queryset, services.delete_job, "Deleted")


@admin.register(Execution)
class ExecutionAdmin(admin.ModelAdmin):
    list_display = ["id", "job", "scheduled_for", "attempt", "reason", "status", "lateness_ms", "response_status"]
    list_filter = ["status", "reason"]
    list_select_related = ["job"]
    raw_id_fields = ["job"]
    show_full_result_count = False
    actions = ["retry"]

    def get_readonly_fields(self, request: HttpRequest, obj: Execution | None = None) -> list[str]:
        return [f.name for f in Execution._meta.fields] + ["lateness_ms", "pretty_request", "task_result"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="request")
    def pretty_request(self, execution: Execution) -> str:
        return format_html("<pre>{}</pre>", json.dumps(execution.request, indent=2))

    @admin.display(description="Celery result")
    def task_result(self, execution: Execution) -> str:
        from django_celery_results.models import TaskResult

        result = TaskResult.objects.filter(task_id=execution.task_id).only("pk").first() if execution.task_id else None
        if result is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:django_celery_results_taskresult_change", args=[result.pk]), execution.task_id
        )

    @admin.action(description="Retry selected executions")
    def retry(self, request: HttpRequest, queryset: QuerySet[Execution]) -> None:
        for execution in queryset:
            try:
                services.retry_execution(execution=execution)
            except JobError as error:
                self.message_user(request, str(error), messages.WARNING)
