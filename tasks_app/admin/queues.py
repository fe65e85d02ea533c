"""Queue tasks in the operator console: read-only rows with their history; cancelling goes
through tasks_app.services like every other change."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from tasks_app import services
from tasks_app.exceptions import JobError
from tasks_app.models import QueueTask, QueueTaskEvent


class QueueTaskEventInline(admin.TabularInline):
    model = QueueTaskEvent
    verbose_name_plural = "history"
    fields = readonly_fields = ("at", "kind", "state", "retry_count", "delivery", "note")
    ordering = ["id"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: QueueTask | None = None) -> bool:
        return False


@admin.register(QueueTask)
class QueueTaskAdmin(admin.ModelAdmin):
    list_display = ["id", "channel", "state", "owner", "retry_count", "retry_max_limit", "prior_id", "next_id", "created_at", "updated_at"]
    list_filter = ["state", "channel"]
    search_fields = ["=hash_code", "=channel"]
    inlines = [QueueTaskEventInline]
    actions = ["cancel"]
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: QueueTask | None = None) -> list[str]:
        return [f.name for f in QueueTask._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: QueueTask | None = None) -> bool:
        return False

    @admin.action(description="Cancel selected tasks (and the rest of their chains)")
    def cancel(self, request: HttpRequest, queryset: QuerySet[QueueTask]) -> None:
        cancelled = 0
        for task in queryset:
            try:
                cancelled += len(services.cancel_queue_task(task_id=task.pk))
            except JobError as error:
                self.message_user(request, str(error), messages.WARNING)
        self.message_user(request, f"Cancelled {cancelled} task(s).")
