"""The socket callback against a real TCP server on 127.0.0.1: one JSON line out, one line back."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest

from tasks_app.callbacks import CallContext, build_callback
from tasks_app.exceptions import InvalidCallback
from tests.tcp import LineServer

CONTEXT = CallContext(execution_id=7, job_id=3, attempt=1, scheduled_for=datetime(2026, 1, 1, tzinfo=UTC))


def call(server: LineServer, payload: object = None, timeout: float = 3) -> object:
    callback = build_callback({"kind": "socket", "host": "127.0.0.1", "port": server.port, "payload": payload, "timeout_seconds": timeout})
    return callback.call(CONTEXT)


@pytest.mark.parametrize("reply", [b'{"success": true}\n', b'{"success": "true", "resultValue": "ok"}\n', b'{"success":"TRUE"}\r\n'])
def test_success_replies(reply: bytes) -> None:
    with LineServer(lambda line: reply) as server:
        outcome = call(server, {"order": 1})
    assert outcome.succeeded and not outcome.pending and outcome.error == ""
    assert outcome.response_body == reply.decode().strip()


@pytest.mark.parametrize("payload", [{"order": 1}, '{"order": 1}', "plain", None, [1, 2]])
def test_sends_the_recall_document_on_one_line(payload: object) -> None:
    with LineServer(lambda line: b'{"success": true}\n') as server:
        outcome = call(server, payload)
    assert server.documents() == [{"data": payload, "tasklogid": "7"}]
    assert outcome.request == {"host": "127.0.0.1", "port": server.port, "body": server.lines[0] + "\n"}


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (b'{"success": false, "error": "disk full"}\n', "success=False: disk full"),
        (b'{"success": "false", "resultValue": "no stock"}\n', "success='false': no stock"),
        (b'{"resultValue": 1}\n', "success=None"),
        (b"OK\n", "not a JSON object"),
        (b"[true]\n", "not a JSON object"),
    ],
)
def test_failure_replies(reply: bytes, error: str) -> None:
    with LineServer(lambda line: reply) as server:
        outcome = call(server)
    assert not outcome.succeeded and not outcome.pending and error in outcome.error


def test_asynchronized_reply_is_pending_with_the_report_deadline(settings) -> None:
    settings.DISPATCH_ASYNC_DEADLINE_SECONDS = 120
    with LineServer(lambda line: b'{"success": "true", "asynchronized": "true"}\n') as server:
        outcome = call(server)
    assert outcome.pending and outcome.report_within_seconds == 120


def test_reply_without_newline_before_close_is_read() -> None:
    with LineServer(lambda line: b'{"success": true}') as server:
        assert call(server).succeeded


def test_only_the_first_line_counts() -> None:
    with LineServer(lambda line: b'{"success": true}\n{"success": false}\n') as server:
        assert call(server).succeeded


def test_no_reply_within_the_timeout_fails() -> None:
    with LineServer(lambda line: None) as server:
        outcome = call(server, timeout=0.5)
    assert not outcome.succeeded and "TimeoutError" in outcome.error


def test_close_without_reply_fails() -> None:
    with LineServer(lambda line: b"") as server:
        outcome = call(server)
    assert not outcome.succeeded and "closed the connection without replying" in outcome.error


def test_refused_connection_fails() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    outcome = build_callback({"kind": "socket", "host": "127.0.0.1", "port": port, "timeout_seconds": 2}).call(CONTEXT)
    assert not outcome.succeeded and "ConnectionRefusedError" in outcome.error


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"port": 80}, "host"),
        ({"host": "", "port": 80}, "host"),
        ({"host": "a b", "port": 80}, "host"),
        ({"host": "h"}, "port"),
        ({"host": "h", "port": 0}, "port"),
        ({"host": "h", "port": 65536}, "port"),
        ({"host": "h", "port": "80"}, "port"),
        ({"host": "h", "port": True}, "port"),
        ({"host": "h", "port": 80, "timeout_seconds": 0}, "timeout_seconds"),
        ({"host": "h", "port": 80, "framing": "length"}, "framing"),
    ],
)
def test_bad_socket_callbacks_name_the_field(data: dict, field: str) -> None:
    with pytest.raises(InvalidCallback) as error:
        build_callback({"kind": "socket", **data})
    assert error.value.field == field


def test_round_trip_through_json() -> None:
    data = build_callback({"kind": "socket", "host": "svc", "port": 9000, "payload": {"b": [1], "a": 2}}).to_json()
    assert data == {"kind": "socket", "host": "svc", "port": 9000, "payload_json": '{"b": [1], "a": 2}', "timeout_seconds": 10.0}
    assert build_callback(data).to_json() == data and build_callback(data).target == "svc:9000"
