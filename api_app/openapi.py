"""The OpenAPI document (drf-spectacular) as a client generator needs it: a tag per dialect,
paths as the dialects write them (no trailing slash), each dialect's error envelope on its
operations, and standard.proto's messages as components.

The tag and the error envelope come from the path's dialect (api_app.envelopes), so an endpoint
needs no annotation for either; its success body is typed on its view."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema

from api_app.envelopes import dialect_of
from api_app.queues import schema as queues_schema

TAGS = [
    {"name": "v1", "description": "The platform's own resource API: jobs, executions, registered services."},
    {"name": "hangfire", "description": "TaskProducerService: enqueue and schedule calls to registered services."},
    {"name": "xtimer", "description": "xtimer: cron timers with an HTTP notify."},
    {"name": "crontab", "description": "crontab server: batches of typed tasks."},
    {"name": "dispatch", "description": "iuap dispatch service: Simple/Cron triggers with HTTP or SOCKET recalls."},
    {"name": "queues", "description": "standard.Queues over REST: each body is the proto message in its JSON mapping."},
]
_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": "string", "nullable": True}
# Each dialect's error body (queues: each method's own response message, set on its view).
ERRORS: dict[str, dict[str, Any]] = {
    "v1": {
        "type": "object",
        "required": ["detail", "code"],
        "properties": {"detail": _STRING, "code": _STRING, "field": _STRING},
    },
    "hangfire": {
        "type": "object",
        "required": ["returnCode", "returnMessage", "data"],
        "properties": {
            "returnCode": {"type": "integer", "description": "the HTTP status"},
            "returnMessage": _STRING,
            "data": {"type": "object", "properties": {"code": _STRING, "field": _NULLABLE_STRING}},
        },
    },
    "xtimer": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {"code": {"type": "integer", "description": "9020-9025, 9029"}, "message": _STRING},
    },
    "crontab": {
        "type": "object",
        "required": ["state", "msg", "data"],
        "properties": {"state": {"type": "integer", "description": "1, 5 or -1"}, "msg": _STRING, "data": {"type": "object"}},
    },
    "dispatch": {
        "type": "object",
        "required": ["success", "error", "resultValue"],
        "properties": {"success": {"type": "boolean"}, "error": _NULLABLE_STRING, "resultValue": _NULLABLE_STRING},
    },
}
ERROR_STATUSES = {
    "400": "invalid input",
    "401": "no or a wrong token",
    "403": "the token does not hold the namespace, is read-only, or its job quota is reached",
    "404": "not found",
    "429": "over the token's request rate (Retry-After says when to come back)",
}


# Packages whose serializers' components are named with the dialect first (both crontab and
# dispatch have a TaskRefSerializer, say).
PREFIXED_PACKAGES = ("hangfire", "xtimer", "crontab", "dispatch")


class DialectAutoSchema(AutoSchema):
    def get_tags(self) -> list[str]:
        dialect = dialect_of(self.path)
        return [dialect.tag] if dialect else super().get_tags()

    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        name = super().get_serializer_name(serializer, direction)
        package = type(serializer).__module__.split(".")[1:2]
        prefix = package[0].capitalize() if package and package[0] in PREFIXED_PACKAGES else ""
        return name if name.startswith(prefix) else prefix + name


def paths_as_written(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """Preprocessing hook: every path is documented without its optional trailing slash."""
    return [(path.rstrip("/") or "/", *rest) for path, *rest in endpoints]


def _error_component(tag: str) -> str:
    return f"{tag.capitalize()}Error"


def _add_errors(operation: dict[str, Any]) -> None:
    tag = operation.get("tags", [""])[0]
    if tag not in ERRORS:
        return
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{_error_component(tag)}"}}}
    for status, description in ERROR_STATUSES.items():
        operation["responses"].setdefault(status, {"description": description, "content": content})


def dialect_envelopes(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: the dialects' tags; the error envelopes and standard.proto's messages
    as components, and each operation's errors in its dialect's envelope."""
    result["tags"] = TAGS
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas |= {_error_component(tag): schema for tag, schema in ERRORS.items()} | queues_schema.components()
    for operations in result["paths"].values():
        for operation in operations.values():
            _add_errors(operation)
    return result
