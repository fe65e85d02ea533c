"""Strings no store can keep reach no method over real gRPC: a NUL in any string field, or bytes
that are not UTF-8, are a 400 State (INVALID_ARGUMENT on the receive stream), never a 500, and
write nothing."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf.message import Message

from api_app.grpc.generated import standard_pb2 as pb
from api_app.grpc.handlers import UNARY
from tasks_app.models import QueueTask

MARK = "MARKMARK"


def filled(message_type: type[Message], text: str) -> Message:
    """A request whose every string field (and its Task's) holds ``text``, its numbers 1."""
    values: dict[str, Any] = {}
    for field in message_type.DESCRIPTOR.fields:
        if field.type == field.TYPE_STRING:
            values[field.name] = text
        elif field.type == field.TYPE_MESSAGE:
            values[field.name] = filled(field.message_type._concrete_class, text)
        else:
            values[field.name] = 1
    return message_type(**values)


def raw_call(channel: grpc.Channel, name: str, response_type: type[Message], body: bytes) -> Message:
    call = channel.unary_unary(f"/standard.Queues/{name}", request_serializer=None, response_deserializer=response_type.FromString)
    return call(body, timeout=10)  # type: ignore[no-any-return]


def variants(request_type: type[Message]) -> dict[str, bytes]:
    marked = filled(request_type, MARK).SerializeToString()
    return {
        "nul": filled(request_type, "a\x00b").SerializeToString(),
        "not-utf8": marked.replace(MARK.encode(), b"\xff\xfe\xed\xa0\x80\xc0\xaf\x00"),
    }


WITH_STRINGS = sorted(name for name, method in UNARY.items() if MARK.encode() in filled(method.request_type, MARK).SerializeToString())


@pytest.mark.parametrize("name", WITH_STRINGS)
@pytest.mark.parametrize("variant", ["nul", "not-utf8"])
def test_unary_methods_refuse_unstorable_strings(channel, name, variant) -> None:
    method = UNARY[name]
    body = variants(method.request_type)[variant]
    response = raw_call(channel, name, method.response_type, body)
    assert response.State == 400, response  # type: ignore[attr-defined]
    assert QueueTask.objects.count() == 0


def test_the_report_stream_refuses_them(reporter) -> None:
    request = pb.ReportTaskResultRequest(ID=1, State=1, Output="a\x00b")
    answer = reporter.send(request).result(timeout=10)
    assert answer.State == 400 and "NUL" in answer.Message


def test_the_receive_stream_refuses_them(stub) -> None:
    stream = stub.ReceiveQueueByChannel(iter([pb.ReceiveQueueByChannelRequest(Channel="a\x00b")]), timeout=10)
    with pytest.raises(grpc.RpcError) as raised:
        next(stream)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
