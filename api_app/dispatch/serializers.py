"""The dispatch wire format (iuap dispatch-service) and its translation into the domain's job.

``add.do`` carries ``recallConfig``, ``taskConfig`` and ``replace``. The two configs, and
``timeConfig`` and ``option`` inside them, are JSON objects given either as themselves (what
the original's clients sent in JSON bodies) or as JSON text (what its document describes and
form posts carry). Fields the dialect does not know are ignored: Java clients post their
config classes whole. Dates are epoch milliseconds or ISO 8601.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from api_app.fields import json_object
from tasks_app.callbacks.base import truncate
from tasks_app.triggers import build_trigger

TRIGGER_TYPES = ("SimpleTrigger", "CronTrigger")
RECALL_TYPES = ("HTTP", "SOCKET")
# Seconds per unit of timeConfig.interval; NULL: no repetition, one fire at startDate.
INTERVAL_UNITS: dict[str, float | None] = {"NULL": None, "MILLISECOND": 0.001, "SECOND": 1, "MINUTE": 60, "HOUR": 3600}
# Quartz's default trigger priority; the platform's priorities run 0-9 (higher first).
DEFAULT_PRIORITY = 5
LOWEST_PRIORITY, HIGHEST_PRIORITY = 0, 9
# Quartz's SimpleTrigger.REPEAT_INDEFINITELY.
REPEAT_FOREVER = -1
_EPOCH_MS = re.compile(r"^-?\d+$")


def job_priority(given: int | None) -> int:
    """The original took any int (higher first); the platform has 0-9, so beyond it is clamped."""
    if given is None:
        return DEFAULT_PRIORITY
    return min(max(given, LOWEST_PRIORITY), HIGHEST_PRIORITY)


class ConfigSerializer(serializers.Serializer):
    """A nested config: an object or its JSON text. A form post carries it as one field holding
    JSON, not in DRF's ``config.field`` form convention."""

    def get_value(self, dictionary: Any) -> Any:
        return dictionary.get(self.field_name, empty)

    def to_internal_value(self, data: Any) -> Any:
        return super().to_internal_value(json_object(data))


@extend_schema_field({})
class AnyValueField(serializers.Field):
    """Any JSON value, kept exactly as given: an object stays an object, a string a string."""

    def to_internal_value(self, data: Any) -> Any:
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class RequiredBooleanField(serializers.BooleanField):
    """A boolean that a form post must carry too (DRF reads a missing form checkbox as false)."""

    default_empty_html = empty


@extend_schema_field({"oneOf": [{"type": "integer", "description": "epoch milliseconds"}, {"type": "string", "format": "date-time"}]})
class MomentField(serializers.Field):
    """Epoch milliseconds (a number or its digits) or ISO 8601; without an offset, in TIME_ZONE."""

    default_error_messages = {"invalid": "must be epoch milliseconds or an ISO 8601 date-time"}

    def to_internal_value(self, data: Any) -> datetime:
        if isinstance(data, bool) or not isinstance(data, int | float | str):
            self.fail("invalid")
        if isinstance(data, int | float) or _EPOCH_MS.match(data.strip()):
            return self._from_epoch_ms(float(data))
        try:
            moment = parse_datetime(data.strip())
        except ValueError:  # well-formed but impossible, such as month 13
            moment = None
        if moment is None:
            self.fail("invalid")
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment)

    def _from_epoch_ms(self, milliseconds: float) -> datetime:
        try:
            return datetime.fromtimestamp(milliseconds / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            self.fail("invalid")
            raise  # unreachable: fail() raises

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


class TimeConfigSerializer(ConfigSerializer):
    interval = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    intervalType = serializers.CharField(allow_null=True, allow_blank=True)
    isForever = serializers.BooleanField(required=False, default=False)
    repeatCount = serializers.IntegerField(required=False, allow_null=True, min_value=REPEAT_FOREVER)

    def validate_intervalType(self, value: str | None) -> str:
        unit = (value or "NULL").strip().upper()
        if unit not in INTERVAL_UNITS:
            raise serializers.ValidationError(f"unknown interval type {value!r}; use one of {', '.join(INTERVAL_UNITS)}")
        return unit

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if INTERVAL_UNITS[attrs["intervalType"]] is not None and not attrs.get("interval"):
            raise serializers.ValidationError({"interval": f"is required, greater than 0, when intervalType is {attrs['intervalType']}"})
        return attrs


def simple_trigger(time_config: dict[str, Any], start: datetime, end: datetime | None) -> dict[str, Any]:
    """A Quartz SimpleTrigger as a platform trigger: repeatCount N means N + 1 fires."""
    unit = INTERVAL_UNITS[time_config["intervalType"]]
    if unit is None:
        return {"kind": "at", "at": start}
    repeat = time_config.get("repeatCount") or 0
    forever = time_config["isForever"] or repeat == REPEAT_FOREVER
    return {
        "kind": "interval",
        "every_seconds": time_config["interval"] * unit,
        "start_at": start,
        "end_at": end,
        "repeat_count": None if forever else repeat + 1,
    }


class TaskConfigSerializer(ConfigSerializer):
    triggerType = serializers.ChoiceField(
        choices=TRIGGER_TYPES, error_messages={"invalid_choice": 'unknown trigger type "{input}"; use SimpleTrigger or CronTrigger'}
    )
    jobCode = serializers.CharField(max_length=200)
    groupCode = serializers.CharField(max_length=200)
    priority = serializers.IntegerField(required=False, allow_null=True)
    startDate = MomentField(required=False, allow_null=True)
    endDate = MomentField(required=False, allow_null=True)
    cronExpress = serializers.CharField(required=False, allow_blank=True)
    timeConfig = TimeConfigSerializer(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("startDate"), attrs.get("endDate")
        if end is not None and end < (start or timezone.now()):
            raise serializers.ValidationError({"endDate": "is before startDate" if start else "is in the past"})
        trigger = self._cron(attrs) if attrs["triggerType"] == "CronTrigger" else self._simple(attrs)
        self._check_it_fires(trigger, attrs)
        return {
            "namespace": attrs["groupCode"], "name": attrs["jobCode"], "trigger": trigger,
            "priority": job_priority(attrs.get("priority")),
            "dialect_data": {"triggerType": attrs["triggerType"], "priority": attrs.get("priority")},
        }  # fmt: skip

    @staticmethod
    def _cron(attrs: dict[str, Any]) -> dict[str, Any]:
        expression = (attrs.get("cronExpress") or "").strip()
        if not expression:
            raise serializers.ValidationError({"cronExpress": "is required for a CronTrigger"})
        fields = expression.split()
        if len(fields) in (6, 7) and (fields[3] == "?") == (fields[5] == "?"):
            raise serializers.ValidationError({"cronExpress": "Quartz needs '?' in exactly one of day-of-month and day-of-week"})
        return {"kind": "cron", "cron": expression, "syntax": "quartz", "start_at": attrs.get("startDate"), "end_at": attrs.get("endDate")}

    @staticmethod
    def _simple(attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("timeConfig") is None:
            raise serializers.ValidationError({"timeConfig": "is required for a SimpleTrigger"})
        return simple_trigger(attrs["timeConfig"], attrs.get("startDate") or timezone.now(), attrs.get("endDate"))

    @staticmethod
    def _check_it_fires(trigger: dict[str, Any], attrs: dict[str, Any]) -> None:
        """Quartz refuses a trigger that will never fire; so does the dialect. The domain's own
        errors (a cron it rejects) name its fields, which errors.py puts in the dialect's words."""
        now = timezone.now()
        if build_trigger(trigger, now=now).upcoming(now) is None:
            field = "endDate" if attrs.get("endDate") else "cronExpress"
            raise serializers.ValidationError({field: "the task would never fire"})


class OptionSerializer(ConfigSerializer):
    url = serializers.CharField(required=False)
    host = serializers.CharField(required=False)
    port = serializers.IntegerField(required=False, min_value=1, max_value=65535)


class RecallConfigSerializer(ConfigSerializer):
    recallType = serializers.CharField()
    option = OptionSerializer()
    # DRF's metaclass takes declared fields off the class: Serializer.data is unaffected.
    data = AnyValueField(required=False, allow_null=True, default=None)  # type: ignore[assignment]

    def validate_recallType(self, value: str) -> str:
        if value.strip().upper() not in RECALL_TYPES:
            raise serializers.ValidationError(f"unknown recall type {value!r}; use HTTP or SOCKET")
        return value.strip().upper()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        option, data = attrs["option"], attrs.get("data")
        if attrs["recallType"] == "HTTP":
            callback = {"kind": "http_recall", "url": self._required(option, "url", "HTTP"), "data": data}
        else:
            host, port = self._required(option, "host", "SOCKET"), self._required(option, "port", "SOCKET")
            callback = {"kind": "socket", "host": host, "port": port, "payload": data}
        return {"callback": callback, "recallType": attrs["recallType"]}

    @staticmethod
    def _required(option: dict[str, Any], name: str, recall_type: str) -> Any:
        if option.get(name) in (None, ""):
            raise serializers.ValidationError({"option": {name: f"is required for a {recall_type} recall"}})
        return option[name]


class AddSerializer(serializers.Serializer):
    recallConfig = RecallConfigSerializer()
    taskConfig = TaskConfigSerializer()
    replace = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The arguments of ``rules.add_task``."""
        task, recall = attrs["taskConfig"], attrs["recallConfig"]
        return {
            **{name: task[name] for name in ("namespace", "name", "trigger", "priority")},
            "callback": recall["callback"],
            "dialect_data": {**task["dialect_data"], "recallType": recall["recallType"]},
            "replace": attrs["replace"],
        }


class TaskRefSerializer(serializers.Serializer):
    jobName = serializers.CharField(max_length=200)
    groupName = serializers.CharField(max_length=200)


class TaskLogSerializer(serializers.Serializer):
    """A callee's report on an asynchronous recall: ``id`` is the recall's ``tasklogid``."""

    id = serializers.IntegerField(min_value=1)
    success = RequiredBooleanField()
    resultValue = AnyValueField(required=False, allow_null=True, default=None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The arguments of ``services.complete_pending``."""
        value = attrs.get("resultValue")
        body = "" if value is None else value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        return {"execution_id": attrs["id"], "succeeded": attrs["success"], "response_body": truncate(body)}


class EnvelopeSerializer(serializers.Serializer):
    """Every answer, errors included (for the schema)."""

    success = serializers.BooleanField()
    error = serializers.CharField(allow_null=True)
    resultValue = serializers.CharField(allow_null=True)
