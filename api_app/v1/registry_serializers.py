"""The v1 wire format of the service registry. The services validate in depth (URLs, paths,
methods, retry policies) and name the failing field; these shapes check types and unknown fields."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api_app.v1.serializers import ObjectField, StrictSerializer
from tasks_app import secret_headers
from tasks_app.models import Service, ServiceRoute


class ServiceInputSerializer(StrictSerializer):
    service_id = serializers.IntegerField()
    base_url = serializers.CharField(max_length=500, help_text="http(s)://host:port")
    consumer_path = serializers.CharField(max_length=500, required=False, allow_blank=True, help_text="appended to base_url")
    timeout_seconds = serializers.FloatField(required=False)
    headers = ObjectField(required=False)
    retry = ObjectField(required=False, allow_null=True, help_text="overrides the dialect's default; null: the default")


class ServiceSerializer(serializers.ModelSerializer):
    headers = serializers.SerializerMethodField()

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
    def get_headers(self, service: Service) -> Any:
        """Secret header values read "***" (tasks_app.secret_headers)."""
        return secret_headers.masked(service.headers)

    class Meta:
        model = Service
        fields = ["service_id", "base_url", "consumer_path", "timeout_seconds", "headers", "retry", "created_at", "updated_at"]
        read_only_fields = fields


class RouteInputSerializer(StrictSerializer):
    message_id = serializers.IntegerField()
    method = serializers.CharField(max_length=8, required=False)
    path = serializers.CharField(max_length=500)


class RouteSerializer(serializers.ModelSerializer):
    service_id = serializers.IntegerField(source="service.service_id", read_only=True)

    class Meta:
        model = ServiceRoute
        fields = ["service_id", "message_id", "method", "path", "created_at", "updated_at"]
        read_only_fields = fields
