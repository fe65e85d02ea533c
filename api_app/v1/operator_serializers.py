"""The v1 wire format of alert rules and of the audit trail."""

from __future__ import annotations

from rest_framework import serializers

from api_app.v1.serializers import StrictSerializer
from tasks_app.models import AlertRule, AuditEntry


class AlertRuleInputSerializer(StrictSerializer):
    namespace = serializers.CharField(max_length=200, required=False, help_text="a namespace or a pattern (billing-*, *)")
    url = serializers.CharField(max_length=500, help_text="the webhook that receives the notices")
    after_failures = serializers.IntegerField(required=False, min_value=1)
    remind_every_seconds = serializers.IntegerField(required=False, min_value=1)
    email = serializers.CharField(max_length=500, required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False)


class AlertRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = AlertRule
        fields = ["id", "namespace", "url", "after_failures", "remind_every_seconds", "email", "enabled", "created_at", "updated_at"]
        read_only_fields = fields


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor", "via", "action", "object_type", "object_id", "object_repr", "namespace", "changes"]
        read_only_fields = fields
