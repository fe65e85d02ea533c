"""The proto3 JSON mapping of standard.proto's messages, both ways (google.protobuf.json_format).

Answers print every scalar and repeated field, defaults included, and write uint64 as JSON
numbers: both are forms the mapping allows, so a client's ``json_format.Parse`` (or Go's
``protojson.Unmarshal``) reads an answer into its response message with unknown fields refused."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message

from tasks_app.exceptions import InvalidInput


def json_object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object")
    return dict(data)


def parse(data: Any, message_type: type[Message]) -> Message:
    try:
        return json_format.ParseDict(json_object(data), message_type())
    except json_format.ParseError as error:
        raise InvalidInput(str(error)) from None


def as_json(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(message, always_print_fields_with_no_presence=True, unquote_int64_if_possible=True)
