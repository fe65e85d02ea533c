"""Jobs in the console: a list that reads like a schedule, a page per job, and every change made
through tasks_app.services. A change the services refuse is shown on the form, nothing saved."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from tasks_app import secret_headers, selectors, services
from tasks_app.admin import display, job_fields
from tasks_app.admin.filters import JobStateFilter, LastOutcomeFilter, NamespaceFilter
from tasks_app.admin.lists import ConsoleListMixin
from tasks_app.callbacks import build_callback
from tasks_app.exceptions import JobError
from tasks_app.models import Job
from tasks_app.retry import RetryPolicy
from tasks_app.triggers import build_trigger

LATEST_EXECUTIONS = 20
TRIGGER_FIELDS = ["trigger_kind", "trigger_cron", "trigger_syntax", "trigger_every_seconds", "trigger_repeat_count", "trigger_at",
                  "trigger_seconds", "trigger_start_at", "trigger_end_at", "trigger_time_zone"]  # fmt: skip
CALLBACK_FIELDS = ["callback_url", "callback_method", "callback_headers", "callback_body", "callback_body_format",
                   "callback_timeout_seconds", "callback_success_regexp"]  # fmt: skip
DEFINITION = ["namespace", "name", "trigger", "callback", "retry", "enabled", "priority"]
POLICIES = ["misfire_policy", "misfire_grace_seconds", "misfire_catchup_limit", "overlap_policy"]
OVERVIEW = [
    "state", "disabled_reason", "schedule", "callback_summary", "retry_summary", "misfire_summary", "outcome", "beat_row",
    "fire_count", "created_at", "updated_at",
]  # fmt: skip


class PrettyJSONField(forms.JSONField):
    """JSON shown indented, so an operator can edit one field of it."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False, cls=self.encoder)


class ServiceRefused(Exception):
    """The services refused a save that the form found valid (a name taken meanwhile, a rule only
    they know). Raised out of the admin's transaction, so that nothing is saved."""

    def __init__(self, error: JobError) -> None:
        super().__init__(str(error))
        self.error = error


class JobForm(job_fields.JobFieldsMixin, forms.ModelForm):
    """Validates trigger, callback and retry with the domain's own rules, field by field. The
    trigger and an HTTP callback are edited in plain fields; JSON is the advanced option (and what
    a post without ``editor`` means, as the API's JSON)."""

    trigger = PrettyJSONField(
        required=False,
        initial={"kind": "cron", "cron": "0 12 * * *", "time_zone": "UTC"},
        help_text='kind: now | at {"at"} | delay {"seconds"} | interval {"every_seconds"} | cron {"cron", "syntax"}; '
        'each takes "time_zone".',
        widget=forms.Textarea(attrs={"rows": 9, "cols": 80, "class": "vLargeTextField"}),
    )
    callback = PrettyJSONField(
        required=False,
        initial={"kind": "http", "url": "http://", "method": "POST", "timeout_seconds": 10},
        help_text="kind http: url, method, headers, body, body_format (raw | json | form), timeout_seconds, success_regexp.",
        widget=forms.Textarea(attrs={"rows": 11, "cols": 80, "class": "vLargeTextField"}),
    )
    retry = PrettyJSONField(
        required=False,
        initial={"delays_seconds": []},
        help_text='{"delays_seconds": [2, 4, 8]} or {"max_attempts": 5, "backoff_seconds": 1, "max_backoff_seconds": 60}',
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80, "class": "vLargeTextField"}),
    )
    # Set on a copy of the form class when the services refused the previous attempt to save.
    refusal: JobError | None = None

    class Meta:
        model = Job
        fields = [*DEFINITION, *POLICIES]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Secret header values show as "***"; sent back unchanged, the job keeps them.
        if "callback" in self.initial:
            self.initial["callback"] = secret_headers.masked_callback(self.initial["callback"])
        trigger = self.instance.trigger if self.instance.pk else self.fields["trigger"].initial
        callback = self.initial["callback"] if self.instance.pk else self.fields["callback"].initial  # masked, as shown
        self.initial.update(job_fields.initial_fields(trigger, callback))
        self.initial["editor"] = "fields" if job_fields.fits_fields(trigger, callback) else "json"

    @property
    def with_fields(self) -> bool:
        return self.data.get("editor") == "fields"

    def _domain_clean(self, field: str, build: Any) -> Any:
        value = self.cleaned_data.get(field)
        if field in ("trigger", "callback") and self.with_fields:
            return value  # built from the plain fields in clean()
        if value in (None, ""):
            raise forms.ValidationError("This field is required.")
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

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.with_fields:
            self._build_from_fields(cleaned)
        if self.refusal is not None:
            field = self.refusal.field if self.refusal.field in self.fields else None
            self.add_error(field, self.refusal.message if field else str(self.refusal))
        return cleaned

    def _build_from_fields(self, cleaned: dict[str, Any]) -> None:
        try:
            built = {"trigger": job_fields.trigger_from(cleaned), "callback": job_fields.callback_from(cleaned)}
        except forms.ValidationError as error:
            self.add_error("callback_headers", error)
            return
        checks: dict[str, Callable[[Any], Any]] = {"trigger": lambda v: build_trigger(v, now=timezone.now()), "callback": build_callback}
        for name, value in built.items():
            try:
                checks[name](value)
            except JobError as error:
                field = job_fields.ERROR_FIELDS.get((name, error.field or ""))
                self.add_error(field if field in self.fields else None, error.message if field else str(error))
                continue
            cleaned[name] = value


@admin.register(Job)
class JobAdmin(ConsoleListMixin, admin.ModelAdmin):
    form = JobForm
    change_form_template = "admin/tasks_app/job/change_form.html"
    list_display = ["id", "dialect", "namespace", "name", "schedule_line", "state", "next_fire", "outcome"]
    list_display_links = ["id", "name"]
    list_filter = ["dialect", NamespaceFilter, JobStateFilter, LastOutcomeFilter]
    search_fields = ["name"]
    search_help_text = "Jobs whose name contains this text."
    sortable_by = ["id", "namespace", "name", "next_fire"]
    ordering = ["-id"]
    readonly_fields = [*OVERVIEW, "latest_executions"]
    actions = ["pause", "resume", "run_now", "delete_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Job]:
        return selectors.with_last_outcome(super().get_queryset(request))

    def get_fieldsets(self, request: HttpRequest, obj: Job | None = None) -> Any:
        editing: list[tuple[str, dict[str, Any]]] = [
            ("Definition", {"fields": ["namespace", "name", "editor"]}),
            ("Trigger", {"fields": TRIGGER_FIELDS, "classes": ["job-fields"]}),
            ("Callback (HTTP)", {"fields": CALLBACK_FIELDS, "classes": ["job-fields"]}),
            ("Trigger and callback as JSON (advanced)", {"fields": ["trigger", "callback"], "classes": ["collapse"]}),
            ("Retry and priority", {"fields": ["retry", "enabled", "priority"]}),
            ("Misfires and overlaps", {"fields": POLICIES}),
        ]
        if obj is None:
            return editing
        return [("Overview", {"fields": OVERVIEW}), *editing, ("Latest executions", {"fields": ["latest_executions"]})]

    # --- saving through the services ------------------------------------------------------

    def get_form(self, request: HttpRequest, obj: Job | None = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "_job_refusal", None)
        return type(form.__name__, (form,), {"refusal": refusal}) if refusal else form

    def changeform_view(self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None) -> Any:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            # The admin's transaction rolled back; show the same form again, now with the error.
            request._job_refusal = refused.error  # type: ignore[attr-defined]
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Job, form: forms.ModelForm, change: bool) -> None:
        # Built from the plain fields, a trigger or callback differs from what was shown without
        # its JSON field having changed.
        built = [n for n in ("trigger", "callback") if form.cleaned_data.get(n) != form.initial.get(n)]
        names = {*form.changed_data, *built} if change else JobForm.Meta.fields
        values = {name: form.cleaned_data[name] for name in JobForm.Meta.fields if name in names and name in form.cleaned_data}
        try:
            if not change:
                obj.pk = services.create_job(**values).pk
            elif values:
                services.update_job(job=obj, **values)
        except JobError as error:
            raise ServiceRefused(error) from error

    def delete_model(self, request: HttpRequest, obj: Job) -> None:
        services.delete_job(job=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        for job in queryset:
            services.delete_job(job=job)

    # --- list columns ---------------------------------------------------------------------

    @admin.display(description="trigger")
    def schedule_line(self, job: Job) -> str:
        return display.describe_trigger(job.trigger, now=timezone.now())

    @admin.display(description="state")
    def state(self, job: Job) -> str:
        return display.badge(job.state)

    @admin.display(description="next fire", ordering="next_fire_at")
    def next_fire(self, job: Job) -> str:
        if not job.enabled:  # its stored next occurrence is only where resuming starts from
            return "— (paused)"
        return display.moment(job.next_fire_at, job.time_zone) + (f" {job.time_zone}" if job.next_fire_at else "")

    @admin.display(description="last outcome")
    def outcome(self, job: Job) -> str:
        return display.badge(getattr(job, "last_outcome", None))

    # --- the job page ---------------------------------------------------------------------

    @admin.display(description="trigger")
    def schedule(self, job: Job) -> str:
        times = display.fire_times(job, now=timezone.now())
        rows = format_html_join(
            "",
            "<li>{} {} <span class='quiet'>({} UTC)</span></li>",
            ((display.moment(t, job.time_zone), job.time_zone, display.moment(t, "UTC")) for t in times),
        )
        heading = "next fire times" if job.enabled else "next fire times once resumed"
        listing = format_html("<p>{}:</p><ol>{}</ol>", heading, rows) if times else format_html("<p>{}</p>", "no more fire times")
        return format_html("<strong>{}</strong>{}", display.describe_trigger(job.trigger), listing)

    @admin.display(description="callback")
    def callback_summary(self, job: Job) -> str:
        data = secret_headers.masked_callback(job.callback)
        line = f"{data.get('method', '')} {data.get('url', '')}".strip() if data.get("kind", "http") == "http" else data.get("kind", "")
        return format_html("<strong>{}</strong><pre>{}</pre>", line, json.dumps(data, indent=2))

    @admin.display(description="retry policy")
    def retry_summary(self, job: Job) -> str:
        return display.describe_retry(job.retry)

    @admin.display(description="misfire policy")
    def misfire_summary(self, job: Job) -> str:
        return f"{display.describe_misfire(job)}; overlapping runs: {job.get_overlap_policy_display()}"

    @admin.display(description="beat row")
    def beat_row(self, job: Job) -> str:
        if not job.periodic_task_id:
            return "—"
        url = reverse("admin:django_celery_beat_periodictask_change", args=[job.periodic_task_id])
        return format_html('<a href="{}">periodic task {}</a>', url, job.periodic_task_id)

    @admin.display(description="latest executions")
    def latest_executions(self, job: Job) -> str:
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:tasks_app_execution_change", args=[e.pk]),
                    e.pk,
                    display.moment(e.scheduled_for, job.time_zone),
                    e.attempt,
                    e.reason,
                    display.badge(e.status),
                    display.milliseconds(e.lateness_ms),
                    e.response_status or "—",
                    e.error[:160],
                )  # fmt: skip
                for e in selectors.latest_executions(job, limit=LATEST_EXECUTIONS)
            ),
        )
        everything = reverse("admin:tasks_app_execution_changelist") + f"?job__id__exact={job.pk}"
        return format_html(
            '<table class="console-executions"><thead><tr><th>id</th><th>scheduled for</th><th>attempt</th><th>reason</th>'
            "<th>status</th><th>lateness</th><th>HTTP</th><th>error</th></tr></thead><tbody>{}</tbody></table>"
            '<p><a href="{}">all executions of this job</a></p>',
            rows,
            everything,
        )

    # --- operations: buttons on the job page and bulk actions -----------------------------

    def get_urls(self) -> list[URLPattern]:
        operations = [
            path(f"<path:object_id>/{name}/", self.admin_site.admin_view(self._operation_view(name)), name=f"tasks_app_job_{name}")
            for name in ("run", "pause", "resume")
        ]
        return operations + super().get_urls()

    def _operation_view(self, name: str) -> Callable[..., HttpResponse]:
        @require_POST
        def view(request: HttpRequest, object_id: str) -> HttpResponse:
            job = self.get_object(request, object_id)
            if job is None:
                raise Http404(f"no job {object_id}")
            if not self.has_change_permission(request, job):
                raise PermissionDenied
            self._operate(request, job, name)
            return HttpResponseRedirect(reverse("admin:tasks_app_job_change", args=[job.pk]))

        return view

    def _operate(self, request: HttpRequest, job: Job, name: str) -> None:
        try:
            if name == "run":
                execution = services.trigger_job(job=job)
                url = reverse("admin:tasks_app_execution_change", args=[execution.pk])
                self.message_user(request, format_html('Queued a run now: <a href="{}">execution {}</a>.', url, execution.pk))
            else:
                (services.pause_job if name == "pause" else services.resume_job)(job=job)
                self.message_user(request, f"{'Paused' if name == 'pause' else 'Resumed'} {job}.")
        except JobError as error:
            self.message_user(request, str(error), messages.ERROR)

    def _each(self, request: HttpRequest, jobs: QuerySet[Job], service: Any, verb: str) -> None:
        if self.too_many(request, jobs):
            return
        done = 0
        for job in jobs:
            try:
                service(job=job)
                done += 1
            except JobError as error:
                self.message_user(request, f"{job}: {error}", messages.WARNING)
        self.message_user(request, f"{verb} {done} job(s).")

    @admin.action(description="Pause selected jobs", permissions=["change"])
    def pause(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        self._each(request, queryset, services.pause_job, "Paused")

    @admin.action(description="Resume selected jobs", permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        self._each(request, queryset, services.resume_job, "Resumed")

    @admin.action(description="Run selected jobs now", permissions=["change"])
    def run_now(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        self._each(request, queryset, services.trigger_job, "Queued a run of")

    @admin.action(description="Delete selected jobs (their executions are kept)", permissions=["delete"])
    def delete_selected(self, request: HttpRequest, queryset: QuerySet[Job]) -> TemplateResponse | None:
        """Django's confirmation page, then delete_queryset: each job through the services."""
        if self.too_many(request, queryset):
            return None
        return delete_selected(self, request, queryset)  # type: ignore[no-any-return]
