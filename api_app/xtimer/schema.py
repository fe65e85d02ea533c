"""xtimer's answers in the OpenAPI document: ``{"code", "message", "data"}`` with each endpoint's
``data`` (errors: api_app.openapi)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from api_app.xtimer.serializers import NOTIFY_PARAM_SCHEMA


@extend_schema_field(NOTIFY_PARAM_SCHEMA)
class NotifyParamField(serializers.JSONField):
    """Read back in the form it was written: an object, or its JSON text."""


TIMER = inline_serializer(
    "XtimerTimer",
    {
        "timerId": serializers.IntegerField(),
        "app": serializers.CharField(),
        "name": serializers.CharField(),
        "status": serializers.IntegerField(help_text="1 disabled, 2 enabled"),
        "cron": serializers.CharField(),
        "notifyHTTPParam": NotifyParamField(),
        "createTime": serializers.IntegerField(help_text="epoch milliseconds"),
    },
)
TASK = inline_serializer(
    "XtimerTask",
    {
        "taskId": serializers.IntegerField(),
        "timerId": serializers.IntegerField(),
        "runTime": serializers.IntegerField(help_text="the scheduled time, epoch milliseconds"),
        "status": serializers.IntegerField(help_text="0 not run, 1 running, 2 succeeded, 3 failed"),
        "output": serializers.CharField(),
        "costTime": serializers.IntegerField(allow_null=True, help_text="start minus due, ms; null until it starts"),
    },
)


def reply(name: str, data: Any = None) -> Any:
    """An answer whose ``data`` is ``data`` (a serializer), or which has none."""
    fields: dict[str, Any] = {"code": serializers.IntegerField(help_text="0"), "message": serializers.CharField()}
    if data is not None:
        fields["data"] = data
    return inline_serializer(name, fields)


def page_of(name: str, key: str, item: Any) -> Any:
    return inline_serializer(name, {"total": serializers.IntegerField(), key: item})


CREATED = reply("XtimerCreateTimerReply", inline_serializer("XtimerCreatedTimer", {"timerId": serializers.IntegerField()}))
DONE = reply("XtimerReply")
ONE_TIMER = reply("XtimerGetTimerReply", TIMER)
TIMERS = reply("XtimerGetTimersReply", page_of("XtimerTimerPage", "timers", serializers.ListField(child=TIMER)))
TASKS = reply("XtimerGetTasksReply", page_of("XtimerTaskPage", "tasks", serializers.ListField(child=TASK)))
