"""The crontab endpoints in the OpenAPI document: each request's ``task_list`` typed with the
endpoint's task and each answer's ``data`` (errors: api_app.openapi). ``task_id`` is a string in
every answer, as the seed's answers write it."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers

TASK_RESULT_FIELDS: dict[str, serializers.Field] = {
    "task_id": serializers.CharField(allow_blank=True, help_text='the task\'s id as a string; "" when there is no such task'),
    "name": serializers.CharField(allow_blank=True),
    "err": serializers.CharField(allow_blank=True, help_text='"" on success, else "<kind> (<code>): <field>: <message>"'),
}
TASK_RESULT = inline_serializer("CrontabTaskResult", TASK_RESULT_FIELDS)
QUERY_RESULT = inline_serializer(
    "CrontabQueryResult",
    TASK_RESULT_FIELDS
    | {"log_total": serializers.IntegerField(), "page": serializers.IntegerField(), "page_size": serializers.IntegerField()},
)
LOG_ENTRY = inline_serializer(
    "CrontabLogEntry",
    {
        "task_id": serializers.CharField(),
        "name": serializers.CharField(),
        "run_type": serializers.IntegerField(help_text="1 normal, 2 retry, 3 run again"),
        "status": serializers.IntegerField(help_text="1 started, 2 succeeded, 3 failed"),
        "begin_time": serializers.CharField(allow_blank=True),
        "end_time": serializers.CharField(allow_blank=True),
        "url": serializers.CharField(),
        "body": serializers.CharField(allow_blank=True),
        "resp": serializers.CharField(allow_blank=True),
    },
)


def _reply(name: str, data: dict[str, Any]) -> Any:
    return inline_serializer(
        name,
        {
            "state": serializers.IntegerField(help_text="0: processed (each task's own failure is in its err)"),
            "msg": serializers.CharField(),
            "data": inline_serializer(f"{name}Data", data),
        },
    )


TASKS_REPLY = _reply("CrontabReply", {"task_result": serializers.ListField(child=TASK_RESULT)})
QUERY_REPLY = _reply(
    "CrontabQueryReply",
    {"log_list": serializers.ListField(child=LOG_ENTRY), "task_result": serializers.ListField(child=QUERY_RESULT)},
)


def documented(name: str, task: type[serializers.Serializer], reply: Any = TASKS_REPLY) -> Any:
    """extend_schema for an endpoint taking ``{"task_list": [<task>, ...]}`` (read as JSON
    whatever its Content-Type)."""
    request = inline_serializer(name, {"task_list": task(many=True)})
    return extend_schema(request={"application/json": request}, responses={200: reply})
