"""Alert rules (saved only through tasks_app.services.alerts) and the audit trail (read-only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from tasks_app.admin.registry import _clean_with
from tasks_app.models import AlertRule, AuditEntry
from tasks_app.services import alerts


class AlertRuleForm(forms.ModelForm):
    class Meta:
        model = AlertRule
        fields = list(alerts.AUDITED)

    def clean(self) -> dict[str, Any]:
        super().clean()
        _clean_with(self, alerts.CLEANERS)
        return self.cleaned_data


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    form = AlertRuleForm
    list_display = ["id", "namespace", "url", "after_failures", "remind_every_seconds", "enabled", "updated_at"]
    list_filter = ["enabled"]

    def save_model(self, request: HttpRequest, obj: AlertRule, form: forms.ModelForm, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in alerts.AUDITED if name in form.cleaned_data}
        if change:
            alerts.update_alert_rule(rule=obj, **values)
        else:
            obj.pk = alerts.create_alert_rule(**values).pk

    def delete_model(self, request: HttpRequest, obj: AlertRule) -> None:
        alerts.delete_alert_rule(rule=obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for rule in queryset:
            alerts.delete_alert_rule(rule=rule)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at_seconds", "actor", "via", "action", "object_type", "object_id", "object_repr", "namespace"]
    list_filter = ["via", "action", "object_type"]
    search_fields = ["=namespace", "=object_id", "actor"]
    readonly_fields = ["at", "actor", "via", "action", "object_type", "object_id", "object_repr", "namespace", "changes"]
    show_full_result_count = False

    @admin.display(description="at", ordering="-id")
    def at_seconds(self, entry: AuditEntry) -> str:
        return f"{entry.at:%Y-%m-%d %H:%M:%S}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
