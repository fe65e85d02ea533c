"""The REST mirror in the OpenAPI document: each method's request and response message as a
component named after its proto message (``standard.Task``), built from the descriptors, so the
document says what ``json_format`` reads and writes."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from api_app.grpc.generated import standard_pb2 as pb

_UINT64 = {"type": "integer", "format": "uint64", "minimum": 0, "description": "a number (its digits as a string are read too)"}
_SCALARS: dict[int, dict[str, Any]] = {
    FieldDescriptor.TYPE_STRING: {"type": "string"},
    FieldDescriptor.TYPE_UINT64: _UINT64,
    FieldDescriptor.TYPE_BOOL: {"type": "boolean"},
}
ERRORS = {
    400: "bad request (State 400)",
    401: "no or a wrong token",
    403: "the token does not hold the channel, or is read-only (State 403)",
    404: "no such task (State 404)",
    405: "a method other than POST",
    415: "a body that is not JSON",
    429: "over the token's request rate (Retry-After)",
}


def ref(message_type: type[Message] | Descriptor) -> dict[str, str]:
    descriptor = message_type if isinstance(message_type, Descriptor) else message_type.DESCRIPTOR
    return {"$ref": f"#/components/schemas/{descriptor.full_name}"}


def _field_schema(field: FieldDescriptor) -> dict[str, Any]:
    single = ref(field.message_type) if field.type == FieldDescriptor.TYPE_MESSAGE else dict(_SCALARS[field.type])
    return {"type": "array", "items": single} if field.is_repeated else single


def message_schema(descriptor: Descriptor) -> dict[str, Any]:
    properties = {field.json_name: _field_schema(field) for field in descriptor.fields}
    return {"type": "object", "properties": properties, "additionalProperties": False}


def components() -> dict[str, dict[str, Any]]:
    """Every message of standard.proto, by full name (the document's postprocessing adds them)."""
    return {descriptor.full_name: message_schema(descriptor) for descriptor in pb.DESCRIPTOR.message_types_by_name.values()}


def documented(summary: str, request: dict[str, Any], response_type: type[Message]) -> Any:
    """extend_schema for one method: its messages, and its errors written as its response."""
    responses = {200: OpenApiResponse(ref(response_type), description="State 200")}
    responses |= {status: OpenApiResponse(ref(response_type), description=text) for status, text in ERRORS.items()}
    return extend_schema(summary=summary, request={"application/json": request}, responses=responses)


def receive_request() -> dict[str, Any]:
    """ReceiveQueueByChannelRequest and the mirror's one extension, the long poll's wait."""
    schema = message_schema(pb.ReceiveQueueByChannelRequest.DESCRIPTOR)
    wait = {"type": "number", "minimum": 0, "description": "seconds to wait for a task (QUEUE_MAX_WAIT_SECONDS at most); 0 by default"}
    return schema | {"properties": schema["properties"] | {"WaitSeconds": wait}}
