"""API tokens in the operator console: list, create (the key is shown once, in the page's
message), revoke. Made and revoked only through tasks_app.services.tenancy."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from tasks_app.exceptions import JobError
from tasks_app.models import ApiClient, SigningSecret
from tasks_app.services import tenancy


class ApiClientForm(forms.ModelForm):
    namespaces_text = forms.CharField(label="Namespaces", help_text="patterns, comma-separated: billing, team-a-*")

    class Meta:
        model = ApiClient
        fields = ["name", "read_only", "rate", "max_jobs"]

    def clean(self) -> dict[str, Any]:
        """The service's own rules, each error on its field (nothing is saved on one)."""
        cleaned = super().clean() or {}
        for name, check in tenancy.FIELD_CHECKS.items():
            value = self.namespaces() if name == "namespaces" else cleaned.get(name)
            try:
                check(value)
            except JobError as error:
                self.add_error("namespaces_text" if name == "namespaces" else name, error.message)
        return cleaned

    def namespaces(self) -> list[str]:
        return [part.strip() for part in self.cleaned_data.get("namespaces_text", "").split(",") if part.strip()]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = ["name", "key_prefix", "namespaces", "read_only", "rate", "max_jobs", "created_at"]
    search_fields = ["name"]
    actions = ["revoke"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a token's scope is fixed: revoke it and make another

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked by the action below, through the service

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request: HttpRequest, obj: ApiClient, form: Any, change: bool) -> None:
        client, key = tenancy.create_api_client(
            name=obj.name, namespaces=form.namespaces(), read_only=obj.read_only, rate=obj.rate, max_jobs=obj.max_jobs
        )
        obj.pk = client.pk
        self.message_user(request, f"API token {client.name!r} created. Its key, shown only now: {key}", messages.WARNING)

    @admin.action(description="Revoke the selected API tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        clients = list(queryset)
        for client in clients:
            tenancy.revoke_api_client(client=client)
        self.message_user(request, f"{len(clients)} API token(s) revoked")


@admin.register(SigningSecret)
class SigningSecretAdmin(admin.ModelAdmin):
    """Who signs with what since when; the secrets themselves are read (and rotated) in the API."""

    list_display = ["namespace", "created_at", "rotated_at", "previous_valid_until"]
    fields = readonly_fields = ("namespace", "created_at", "rotated_at", "previous_valid_until")
    search_fields = ["namespace"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
