"""The v1 wire format: the job and execution shapes of DESIGN.md. Triggers, callbacks and
retries are validated (and normalised) by the domain, which names the failing field."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tasks_app import secret_headers
from tasks_app.models import Execution, Job, MisfirePolicy, OverlapPolicy


class StrictSerializer(serializers.Serializer):
    """Rejects fields it does not know, instead of silently dropping them."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({unknown[0]: [f"unknown field(s): {', '.join(unknown)}"]})
        return attrs


@extend_schema_field({"type": "object", "additionalProperties": True})
class ObjectField(serializers.JSONField):
    """A JSON object, checked in depth by the domain."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise serializers.ValidationError("must be an object")
        return data


class JobInputSerializer(StrictSerializer):
    namespace = serializers.CharField(max_length=200)
    name = serializers.CharField(max_length=200)
    trigger = ObjectField(help_text="kind: now | at | delay | interval | cron, with that kind's fields")
    callback = ObjectField(help_text="kind: http (default) | socket | rpc | transfer | consume")
    retry = ObjectField(required=False, help_text='{"delays_seconds": [...]} or {"max_attempts", "backoff_seconds", "max_backoff_seconds"}')
    enabled = serializers.BooleanField(required=False)
    priority = serializers.IntegerField(required=False, min_value=0, max_value=9)
    misfire_policy = serializers.ChoiceField(choices=MisfirePolicy.choices, required=False)
    misfire_grace_seconds = serializers.IntegerField(required=False, min_value=0)
    misfire_catchup_limit = serializers.IntegerField(required=False, min_value=1, max_value=10_000)
    overlap_policy = serializers.ChoiceField(choices=OverlapPolicy.choices, required=False)


class JobSerializer(serializers.ModelSerializer):
    state = serializers.CharField(read_only=True)
    trigger = serializers.SerializerMethodField()
    callback = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id", "dialect", "namespace", "name", "trigger", "callback", "retry", "enabled", "disabled_reason", "priority",
            "misfire_policy", "misfire_grace_seconds", "misfire_catchup_limit", "overlap_policy",
            "state", "next_fire_at", "fire_count", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field({"type": "object", "additionalProperties": True})
    def get_trigger(self, job: Job) -> dict[str, Any]:
        return {key: value for key, value in job.trigger.items() if value is not None}

    @extend_schema_field({"type": "object", "additionalProperties": True})
    def get_callback(self, job: Job) -> Any:
        """Secret header values read "***" (tasks_app.secret_headers)."""
        return secret_headers.masked_callback(job.callback)


class ExecutionSerializer(serializers.ModelSerializer):
    lateness_ms = serializers.IntegerField(read_only=True, allow_null=True)
    request = serializers.SerializerMethodField()

    class Meta:
        model = Execution
        fields = [
            "id", "job", "scheduled_for", "attempt", "reason", "status", "due_at", "started_at", "finished_at",
            "lateness_ms", "request", "response_status", "response_headers", "response_body", "error", "task_id",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field({"type": "object", "additionalProperties": True})
    def get_request(self, execution: Execution) -> Any:
        """What was sent, secret header values "***" (rows recorded before masking included)."""
        return secret_headers.masked_request(execution.request)
