"""Executions in the console: the record of each attempt, read-only, with a retry button that
goes through tasks_app.services.retry_execution."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from tasks_app import secret_headers, selectors, services
from tasks_app.admin import display
from tasks_app.admin.filters import TextInputFilter
from tasks_app.admin.lists import ConsoleListMixin
from tasks_app.exceptions import JobError
from tasks_app.models import Execution

RETRYABLE = selectors.FINISHED
FIELDSETS: Any = [
    ("Attempt", {"fields": ["job_link", "status_badge", "reason", "attempt", "scheduled_for", "error_text"]}),
    ("Timings", {"fields": ["due_ms", "dispatched_ms", "started_ms", "finished_ms", "lateness", "run_time", "deadline_ms"]}),
    ("Request", {"fields": ["request_view"]}),
    ("Response", {"fields": ["response_status", "headers_view", "body_view"]}),
    ("Celery", {"fields": ["task_id", "task_result_link"]}),
]


class JobNamespaceFilter(TextInputFilter):
    title = "namespace"
    parameter_name = "namespace"
    field_name = "job__namespace"


UNSHOWN = ["request", "response_headers", "response_body", "job__trigger", "job__callback", "job__retry", "job__dialect_data"]


class ExecutionChangeList(ChangeList):
    """The list never shows request or response bodies: leave them in the database."""

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet[Execution]:
        queryset = super().get_queryset(request, exclude_parameters)
        return queryset.defer(
            "request", "response_headers", "response_body", "job__trigger", "job__callback", "job__retry", "job__dialect_data"
        )


def _pre(value: Any) -> str:
    return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>', value)


@admin.register(Execution)
class ExecutionAdmin(ConsoleListMixin, admin.ModelAdmin):
    change_form_template = "admin/tasks_app/execution/change_form.html"
    list_display = [
        "id", "job_link", "scheduled_for", "attempt", "reason", "status_badge", "lateness", "run_time", "response_status", "error_brief",
    ]  # fmt: skip
    list_filter = ["status", "reason", "job__dialect", JobNamespaceFilter, ("finished_at", admin.DateFieldListFilter)]
    list_select_related = ["job"]
    search_fields = ["=task_id"]
    search_help_text = "A Celery task id."
    sortable_by = ["id"]
    ordering = ["-id"]
    fieldsets = FIELDSETS
    readonly_fields = [name for _, options in FIELDSETS for name in options["fields"]]
    actions = ["retry"]

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ExecutionChangeList

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """Tabs above the list: every status with its count, the chosen one marked."""
        chosen = request.GET.get("status__exact", "")
        others = request.GET.copy()
        others.pop("status__exact", None)
        others.pop("p", None)
        tabs: list[tuple[str, selectors.Tally | None, str, bool]] = [("all", None, others.urlencode(), not chosen)]
        for status, tally in selectors.execution_states().items():
            others["status__exact"] = status
            tabs.append((status, tally, others.urlencode(), chosen == status))
        return super().changelist_view(request, {**(extra_context or {}), "state_tabs": tabs})

    # Attempts are the platform's record: nobody adds, edits or deletes one by hand.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Execution | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Execution | None = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("tasks_app.change_execution")

    # --- columns and fields ---------------------------------------------------------------

    @admin.display(description="job")
    def job_link(self, execution: Execution) -> str:
        if execution.job is None:
            return "(deleted job)"
        url = reverse("admin:tasks_app_job_change", args=[execution.job_id])
        return format_html('<a href="{}">{}</a>', url, execution.job)

    @admin.display(description="status")
    def status_badge(self, execution: Execution) -> str:
        return display.badge(execution.status)

    @admin.display(description="lateness")
    def lateness(self, execution: Execution) -> str:
        return display.milliseconds(execution.lateness_ms)

    @admin.display(description="error")
    def error_brief(self, execution: Execution) -> str:
        return execution.error[:100] or "—"

    # The execution page shows its moments to the millisecond (the list, like the rest, to the second).
    @admin.display(description="due at")
    def due_ms(self, execution: Execution) -> str:
        return display.moment_ms(execution.due_at)

    @admin.display(description="sent at")
    def dispatched_ms(self, execution: Execution) -> str:
        return display.moment_ms(execution.dispatched_at)

    @admin.display(description="call started at")
    def started_ms(self, execution: Execution) -> str:
        return display.moment_ms(execution.started_at)

    @admin.display(description="finished at")
    def finished_ms(self, execution: Execution) -> str:
        return display.moment_ms(execution.finished_at)

    @admin.display(description="deadline")
    def deadline_ms(self, execution: Execution) -> str:
        return display.moment_ms(execution.deadline_at)

    @admin.display(description="run time")
    def run_time(self, execution: Execution) -> str:
        return display.duration(execution.started_at, execution.finished_at)

    @admin.display(description="error")
    def error_text(self, execution: Execution) -> str:
        return _pre(execution.error) if execution.error else "—"

    @admin.display(description="request")
    def request_view(self, execution: Execution) -> str:
        return _pre(json.dumps(secret_headers.masked_request(execution.request), indent=2, ensure_ascii=False))

    @admin.display(description="headers")
    def headers_view(self, execution: Execution) -> str:
        return _pre(json.dumps(execution.response_headers, indent=2, ensure_ascii=False)) if execution.response_headers else "—"

    @admin.display(description="body (as stored: truncated)")
    def body_view(self, execution: Execution) -> str:
        return _pre(execution.response_body) if execution.response_body else "—"

    @admin.display(description="Celery result")
    def task_result_link(self, execution: Execution) -> str:
        result = selectors.task_result(execution)
        if result is None:
            return "—"
        url = reverse("admin:django_celery_results_taskresult_change", args=[result.pk])
        return format_html('<a href="{}">{} ({})</a>', url, result.task_id, result.status)

    # --- retrying -------------------------------------------------------------------------

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        context = {"can_retry": self.has_retry_permission(request), "retryable": RETRYABLE, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, context)

    def get_urls(self) -> list[URLPattern]:
        retry = path("<path:object_id>/retry/", self.admin_site.admin_view(require_POST(self.retry_view)), name="tasks_app_execution_retry")
        return [retry, *super().get_urls()]

    def retry_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        execution = self.get_object(request, object_id)
        if execution is None:
            raise Http404(f"no execution {object_id}")
        if not self.has_retry_permission(request):
            raise PermissionDenied
        try:
            retry = services.retry_execution(execution=execution)
        except JobError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:tasks_app_execution_change", args=[execution.pk]))
        self.message_user(request, f"Queued attempt {retry.attempt} as execution {retry.pk}.")
        return HttpResponseRedirect(reverse("admin:tasks_app_execution_change", args=[retry.pk]))

    @admin.action(description="Retry selected executions", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Execution]) -> None:
        if self.too_many(request, queryset):
            return
        queued = 0
        for execution in queryset:
            try:
                services.retry_execution(execution=execution)
                queued += 1
            except JobError as error:
                self.message_user(request, f"execution {execution.pk}: {error}", messages.WARNING)
        self.message_user(request, f"Queued {queued} retr{'y' if queued == 1 else 'ies'}.")
