"""List filters that stay cheap at 100k jobs: fixed choices or a text box, never a dropdown built
from a DISTINCT over the table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import PAGE_VAR, ChangeList
from django.db.models import Exists, Model, OuterRef, QuerySet
from django.http import HttpRequest

from tasks_app import selectors
from tasks_app.models import Job, JobState


class TextInputFilter(admin.ListFilter):
    """An exact-match text box (the column it filters is indexed)."""

    parameter_name: str
    field_name: str
    template = "admin/console/text_filter.html"

    def __init__(self, request: HttpRequest, params: dict[str, list[str]], model: type[Model], model_admin: Any) -> None:
        super().__init__(request, params, model, model_admin)
        values = params.pop(self.parameter_name, [""])
        self.value = values[-1].strip()
        if self.value:
            self.used_parameters[self.parameter_name] = self.value

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str | None]:
        return [self.parameter_name]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(**{self.field_name: self.value}) if self.value else queryset

    def choices(self, changelist: ChangeList) -> Iterator[dict[str, Any]]:
        kept = {k: v for k, v in changelist.params.items() if k not in (self.parameter_name, PAGE_VAR)}
        yield {
            "parameter": self.parameter_name,
            "value": self.value,
            "hidden": sorted(kept.items()),
            "clear": changelist.get_query_string(remove=[self.parameter_name]) if self.value else "",
        }


class NamespaceFilter(TextInputFilter):
    title = "namespace"
    parameter_name = "namespace"
    field_name = "namespace"


class JobStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(state.value, state.label) for state in JobState]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        condition = selectors.JOB_STATES.get(self.value() or "")  # type: ignore[call-overload]
        return queryset.filter(condition) if condition is not None else queryset


class LastOutcomeFilter(admin.SimpleListFilter):
    title = "last outcome"
    parameter_name = "outcome"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(status, status) for status in selectors.FINISHED]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return selectors.jobs_with_last_outcome(queryset, value) if value in selectors.FINISHED else queryset


class BelongsToJobFilter(admin.SimpleListFilter):
    title = "belongs to a job"
    parameter_name = "of_job"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "yes: read-only here"), ("no", "no")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # EXISTS, not a join on the job: PostgreSQL then hashes job ids, not whole job rows.
        of_job = Exists(Job.objects.filter(periodic_task=OuterRef("pk")))
        if self.value() in ("yes", "no"):
            return queryset.filter(of_job if self.value() == "yes" else ~of_job)
        return queryset
