"""The crontab wire format: the request (``{"task_list": [...]}``) and each task's fields as the
original's API document names them. Checks here are per field; what fields mean together (a
type and its start_time, a method and its url) is checked by ``mapping``."""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api_app.crontab.schedule import TYPE_NAMES

ENABLED, DISABLED = 1, 2
JSON_BODY, FORM_BODY = 1, 2
METHODS = ("post", "get", "rpc")
MAX_RETRIES = 100
MAX_LOG_PAGE_SIZE = 100
_DELAY = re.compile(r"\d+(\.\d+)?")
TYPES_HELP = ", ".join(f"{number} {name}" for number, name in TYPE_NAMES.items())


class TaskListSerializer(serializers.Serializer):
    """The request: a non-empty list of tasks (each checked on its own, with its own result)."""

    task_list = serializers.ListField(
        child=serializers.JSONField(),
        allow_empty=False,
        error_messages={
            "required": 'is required: send {{"task_list": [...]}}',
            "null": 'is required: send {{"task_list": [...]}}',
            "not_a_list": "must be a list of tasks",
            "empty": "must hold at least one task",
        },
    )

    def validate_task_list(self, tasks: list[Any]) -> list[Any]:
        limit = settings.CRONTAB_MAX_TASKS_PER_REQUEST
        if len(tasks) > limit:
            raise serializers.ValidationError(f"holds {len(tasks)} tasks; at most {limit} per request")
        return tasks


class StrictSerializer(serializers.Serializer):
    """A task with a field the document does not name is an invalid parameter (code 1), whatever
    that name (a misspelt optional field would otherwise be silently ignored)."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(f"unknown field(s): {', '.join(unknown)}")
        return attrs


class LowercaseChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data: Any) -> Any:
        return super().to_internal_value(data.lower() if isinstance(data, str) else data)


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class StartTimeField(serializers.Field):
    """A Unix timestamp or number of seconds (a number or a string of digits), a cron, a descriptor."""

    default_error_messages = {"invalid": "must be a Unix timestamp, a number of seconds, a cron or a descriptor"}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int | float | str) or (isinstance(data, str) and not data.strip()):
            self.fail("invalid")
        return data.strip() if isinstance(data, str) else data

    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "object"}, {"type": "array", "items": {}}]})
class BodyField(serializers.Field):
    """The body passed through as a string; a JSON object or list is sent as its JSON text."""

    default_error_messages = {"invalid": "must be a string (or a JSON object or list)"}

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, dict | list):
            return json.dumps(data, ensure_ascii=False)
        if not isinstance(data, str):
            self.fail("invalid")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "number"}]})
class RedoParamField(serializers.Field):
    """Retry delays in seconds separated by spaces ("2 4 8"), as a list of numbers."""

    default_error_messages = {"invalid": 'must be retry delays in seconds separated by spaces, such as "2 4 8"; got {value!r}'}

    def to_internal_value(self, data: Any) -> list[float | int]:
        if isinstance(data, int | float) and not isinstance(data, bool):
            data = str(data)
        if not isinstance(data, str) or not all(_DELAY.fullmatch(part) for part in data.split()):
            self.fail("invalid", value=data)
        delays = [float(part) if "." in part else int(part) for part in data.split()]
        if len(delays) > MAX_RETRIES:
            raise serializers.ValidationError(f"holds {len(delays)} delays; at most {MAX_RETRIES}")
        return delays

    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}], "nullable": True})
class TaskIdField(serializers.Field):
    """A task id (a number or a string of digits); anything else is no id, and the task is
    looked up by name (as the original did)."""

    def to_internal_value(self, data: Any) -> int | None:
        if isinstance(data, int) and not isinstance(data, bool) and data > 0:
            return data
        if isinstance(data, str) and data.strip().isdigit() and int(data) > 0:
            return int(data)
        return None

    def to_representation(self, value: Any) -> Any:
        return value


class TaskSerializer(StrictSerializer):
    """add_task's task. With ``partial=True`` (update_task) every field is optional."""

    name = serializers.CharField(max_length=200)
    enable = serializers.ChoiceField(
        choices=[(ENABLED, "on"), (DISABLED, "off")], required=False, error_messages={"invalid_choice": "must be 1 (on) or 2 (off)"}
    )
    module = serializers.CharField(max_length=200, required=False, allow_blank=True, allow_null=True)
    type = serializers.ChoiceField(choices=list(TYPE_NAMES), error_messages={"invalid_choice": f"must be one of {TYPES_HELP}"})
    start_time = StartTimeField()
    url = serializers.CharField(max_length=2000)
    method = LowercaseChoiceField(choices=METHODS, error_messages={"invalid_choice": f"must be one of {', '.join(METHODS)}"})
    resp_regexp = serializers.CharField(required=False, allow_blank=True, allow_null=True, trim_whitespace=False)
    body = BodyField(required=False, allow_null=True)
    body_type = serializers.ChoiceField(
        choices=[(JSON_BODY, "JSON"), (FORM_BODY, "form")],
        required=False,
        error_messages={"invalid_choice": "must be 1 (JSON) or 2 (form)"},
    )
    redo_param = RedoParamField(required=False, allow_null=True)


class TaskChangeSerializer(TaskSerializer):
    """update_task's task: ``task_id``, else ``name``, picks it; the other fields given change."""

    task_id = TaskIdField(required=False, allow_null=True)


class TaskRefSerializer(StrictSerializer):
    """query_task_status's and run_again_task's task: ``task_id``, else ``name``."""

    task_id = TaskIdField(required=False, allow_null=True)
    name = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class TaskLogRefSerializer(TaskRefSerializer):
    """query_task_status also takes a page of the log (newest first, 100 a page at most)."""

    page = serializers.IntegerField(required=False, min_value=1, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LOG_PAGE_SIZE, default=MAX_LOG_PAGE_SIZE)
