"""xtimer's wire format. Fields are checked for presence and type here; cron, URL, method and
time zone are checked by the domain, which names the failing field. Unknown fields are ignored,
as the original (Go's encoding/json) ignored them."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api_app.fields import json_object
from tasks_app.callbacks.http import METHODS

MAX_LABEL = 200
MAX_PAGE_SIZE = 1000
MAX_PAGE_INDEX = 10**9
DEFAULT_PAGE_SIZE = 10
MAX_ID = 2**63 - 1  # timer ids are Go int64s (and the database's bigint)
MAX_RETRY_DELAY_MS = 7 * 24 * 3600 * 1000


class StringField(serializers.CharField):
    """A JSON string, and only a string (DRF's CharField would take 12 for "12")."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            raise serializers.ValidationError("must be a string")
        return str(super().to_internal_value(data))


@extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
class HeaderField(serializers.Field):
    """Header names to values; a list of values (Go's http.Header) is joined as HTTP joins them."""

    def to_internal_value(self, data: Any) -> dict[str, str]:
        if not isinstance(data, dict):
            raise serializers.ValidationError("must be an object of header names to values")
        return {str(name): self._value(name, value) for name, value in data.items()}

    @staticmethod
    def _value(name: str, value: Any) -> str:
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return ", ".join(value)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
        raise serializers.ValidationError(f"the value of {name!r} must be a string")


@extend_schema_field({"type": "string"})
class BodyField(serializers.Field):
    """The request body as text; an object or list is sent as its JSON text."""

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, str):
            return data
        if isinstance(data, dict | list):
            return json.dumps(data)
        raise serializers.ValidationError("must be a string")


class NotifyHTTPParamSerializer(serializers.Serializer):
    url = StringField()
    method = StringField()
    header = HeaderField(required=False, allow_null=True)
    body = BodyField(required=False, allow_null=True)


_NOTIFY_SCHEMA = {
    "type": "object",
    "required": ["url", "method"],
    "properties": {
        "url": {"type": "string"},
        "method": {"type": "string", "enum": list(METHODS)},
        "header": {"type": "object", "additionalProperties": {"type": "string"}},
        "body": {"type": "string"},
    },
}


NOTIFY_PARAM_SCHEMA = {"oneOf": [_NOTIFY_SCHEMA, {"type": "string", "description": "the JSON text of the object"}]}


@extend_schema_field(NOTIFY_PARAM_SCHEMA)
class NotifyHTTPParamField(serializers.Field):
    """An object, or the JSON text of one: the seed's own example sends a string."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        param = NotifyHTTPParamSerializer(data=json_object(data))
        if not param.is_valid():
            raise serializers.ValidationError(param.errors)
        return dict(param.validated_data)


class CreateTimerSerializer(serializers.Serializer):
    app = StringField(max_length=MAX_LABEL)
    name = StringField(max_length=MAX_LABEL)
    cron = StringField()
    status = serializers.IntegerField(required=False, allow_null=True, help_text="2: enabled; anything else: disabled")
    notifyHTTPParam = NotifyHTTPParamField(help_text="{url, method, header, body}, as an object or its JSON text")
    timeZone = StringField(required=False, allow_null=True, help_text="IANA zone the cron is read in")
    retry = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=MAX_RETRY_DELAY_MS), required=False, allow_null=True, max_length=100,
        help_text="milliseconds to wait before each retry of a failed notify",
    )  # fmt: skip
    timeoutMs = serializers.IntegerField(required=False, allow_null=True, min_value=1, help_text="notify timeout, default 5000")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Keeps ``notifyHTTPParam``'s JSON text, when it came as text, to read it back as written."""
        written = self.initial_data.get("notifyHTTPParam")
        return attrs | ({"notifyHTTPParamText": written} if isinstance(written, str) else {})

    def validate_timeoutMs(self, value: int | None) -> int | None:
        ceiling = settings.CALLBACK_MAX_TIMEOUT_SECONDS * 1000
        if value is not None and value > ceiling:
            raise serializers.ValidationError(f"must be at most {ceiling} ms (CALLBACK_MAX_TIMEOUT_SECONDS)")
        return value


def _without(attrs: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in attrs.items() if key not in keys}


class TimerRefSerializer(serializers.Serializer):
    """A timer of an app, by ``timerId`` (or ``id``, as the seed names it)."""

    app = StringField(max_length=MAX_LABEL)
    timerId = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        ids = {attrs[key] for key in ("timerId", "id") if key in attrs}
        if not ids:
            raise serializers.ValidationError({"timerId": ["is required (or id)"]})
        if len(ids) > 1:
            raise serializers.ValidationError({"timerId": ["and id name different timers"]})
        return super().validate(_without(attrs, "timerId", "id") | {"timer_id": ids.pop()})


class PageSerializer(serializers.Serializer):
    """``pageIndex`` counts from 1; a missing or 0 index or size takes the default."""

    pageIndex = serializers.IntegerField(required=False, min_value=0, max_value=MAX_PAGE_INDEX)
    pageSize = serializers.IntegerField(required=False, min_value=0, max_value=MAX_PAGE_SIZE)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        page = {"page_index": attrs.get("pageIndex") or 1, "page_size": attrs.get("pageSize") or DEFAULT_PAGE_SIZE}
        return super().validate(_without(attrs, "pageIndex", "pageSize") | page)


class AppTimersSerializer(PageSerializer):
    app = StringField(max_length=MAX_LABEL)


class TimersByNameSerializer(AppTimersSerializer):
    name = StringField(max_length=MAX_LABEL, help_text="part of the name, any case")


class TimerTasksSerializer(PageSerializer, TimerRefSerializer):
    """A timer's tasks, a page at a time."""
