"""The service registry in the operator console: services with their transfer routes inline,
validated by the registry's own rules and saved only through tasks_app.services.registry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from tasks_app import secret_headers
from tasks_app.exceptions import InvalidInput
from tasks_app.models import Service, ServiceRoute
from tasks_app.services import registry

SERVICE_FIELDS = ["service_id", "base_url", "consumer_path", "timeout_seconds", "headers", "retry"]
ROUTE_FIELDS = ["message_id", "method", "path"]


def _clean_with(form: forms.ModelForm, cleaners: dict[str, Callable[[Any], Any]]) -> None:
    """Run the registry's validators on the form's values, each error on its own field."""
    for name in cleaners:
        if name in form.cleaned_data:
            try:
                form.cleaned_data[name] = cleaners[name](form.cleaned_data[name])
            except InvalidInput as error:
                form.add_error(name if name in form.fields else None, error.message)


class ServiceForm(forms.ModelForm):
    class Meta:
        model = Service
        fields = SERVICE_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Secret header values show as "***"; sent back unchanged, the service keeps them.
        self.initial["headers"] = secret_headers.masked(self.initial.get("headers"))

    def clean(self) -> dict[str, Any]:
        super().clean()
        _clean_with(self, registry.SERVICE_CLEANERS)
        return self.cleaned_data


class RouteForm(forms.ModelForm):
    class Meta:
        model = ServiceRoute
        fields = ROUTE_FIELDS

    def clean(self) -> dict[str, Any]:
        super().clean()
        if self.instance.pk and "message_id" in self.changed_data:
            self.add_error("message_id", "cannot be changed; add a route for the other message instead")
        _clean_with(self, registry.ROUTE_CLEANERS)
        return self.cleaned_data


class RouteInline(admin.TabularInline):
    model = ServiceRoute
    form = RouteForm
    extra = 1


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    form = ServiceForm
    inlines = [RouteInline]
    list_display = ["service_id", "base_url", "consumer_path", "timeout_seconds", "updated_at"]
    search_fields = ["=service_id", "base_url"]

    def get_readonly_fields(self, request: HttpRequest, obj: Service | None = None) -> list[str]:
        return ["service_id"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Service, form: forms.ModelForm, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in SERVICE_FIELDS if name in form.cleaned_data}
        if change:
            registry.update_service(service=obj, **values)
        else:
            obj.pk = registry.create_service(**values).pk

    def delete_model(self, request: HttpRequest, obj: Service) -> None:
        registry.delete_service(service=obj)

    def save_formset(self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool) -> None:
        formset.save(commit=False)  # sorts the rows into new, changed and deleted ones
        for route in formset.deleted_objects:
            registry.delete_route(route=route)
        for route, _ in formset.changed_objects:
            registry.update_route(route=route, method=route.method, path=route.path)
        for route in formset.new_objects:
            registry.create_route(service=form.instance, message_id=route.message_id, method=route.method, path=route.path)
