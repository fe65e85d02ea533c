"""The rpc callback against a real JSON-RPC server on 127.0.0.1 (tests/jsonrpc_server.py), and on
the real worker: a failing reply is retried by the job's policy."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime

import pytest

from tasks_app import services
from tasks_app.callbacks import CallContext, build_callback
from tasks_app.exceptions import InvalidCallback
from tasks_app.models import Execution
from tasks_app.tasks import send_executions
from tests.conftest import wait_for
from tests.factories import make_job
from tests.jsonrpc_server import Raw, RpcError, serving

CONTEXT = CallContext(execution_id=41, job_id=3, attempt=1, scheduled_for=datetime(2026, 1, 1, tzinfo=UTC))


def rpc(address: str, **fields: object) -> dict:
    return {"kind": "rpc", "address": address, "method": "Arith.Multiply", "timeout_seconds": 2, **fields}


def test_sends_one_request_line_as_go_jsonrpc_and_reads_the_result() -> None:
    with serving({"Arith.Multiply": lambda args: args["a"] * args["b"]}) as server:
        outcome = build_callback(rpc(server.address, params={"a": 6, "b": 7}, success_regexp="^42$")).call(CONTEXT)
    assert outcome.succeeded, outcome.error
    assert server.requests == [{"method": "Arith.Multiply", "params": [{"a": 6, "b": 7}], "id": 41}]
    assert b"".join(server.raw).endswith(b"}\n")
    assert json.loads(outcome.response_body) == {"id": 41, "result": 42, "error": None}
    assert outcome.request["body"] == json.dumps({"method": "Arith.Multiply", "params": [{"a": 6, "b": 7}], "id": 41})


def test_missing_params_are_sent_as_null_in_the_list() -> None:
    with serving({"Clock.Tick": lambda args: "ok"}) as server:
        assert build_callback(rpc(server.address, method="Clock.Tick")).call(CONTEXT).succeeded
    assert server.requests[0]["params"] == [None]


def test_error_in_the_reply_is_a_retryable_failure() -> None:
    def refuse(args: object) -> None:
        raise RpcError("division by zero")

    with serving({"Arith.Multiply": refuse}) as server:
        outcome = build_callback(rpc(server.address)).call(CONTEXT)
    assert not outcome.succeeded and outcome.retryable
    assert outcome.error == "rpc error: division by zero"


def test_unknown_method_is_the_servers_error() -> None:
    with serving({}) as server:
        outcome = build_callback(rpc(server.address, method="Nope.Missing")).call(CONTEXT)
    assert not outcome.succeeded and "can't find service Nope.Missing" in outcome.error


def test_regexp_applies_to_the_compact_json_of_result() -> None:
    with serving({"Arith.Multiply": lambda args: {"code": 0, "msg": "好"}}) as server:
        matching = build_callback(rpc(server.address, success_regexp='"code":0,"msg":"好"')).call(CONTEXT)
        failing = build_callback(rpc(server.address, success_regexp='"code":1')).call(CONTEXT)
    assert matching.succeeded, matching.error
    assert not failing.succeeded and "does not match" in failing.error


def test_reply_for_another_id_fails() -> None:
    with serving({"Arith.Multiply": lambda args: Raw(b'{"id": 9, "result": 1, "error": null}\n')}) as server:
        outcome = build_callback(rpc(server.address)).call(CONTEXT)
    assert not outcome.succeeded and "does not answer request id 41" in outcome.error


def test_reply_without_a_trailing_newline_is_read() -> None:
    reply = b'{"id": 41, "result": {"parts": [1, 2, 3]}, "error": null}'
    with serving({"Arith.Multiply": lambda args: Raw(reply)}) as server:
        outcome = build_callback(rpc(server.address)).call(CONTEXT)
    assert outcome.succeeded, outcome.error


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (Raw(b"garbage\n"), "not a JSON-RPC reply"),
        (Raw(b'{"id": 41, "res', close=True), "connection closed before a complete reply"),
        (Raw(b'{"id": 41, "result": 1, "error": null}\n', delay_seconds=1.5), "no reply within 0.5s"),
        (Raw(b'["not", "an", "object"]\n'), "not a JSON-RPC reply"),
    ],
)
def test_broken_replies_fail_without_raising(answer: Raw, error: str) -> None:
    with serving({"Arith.Multiply": lambda args: answer}) as server:
        outcome = build_callback(rpc(server.address, timeout_seconds=0.5)).call(CONTEXT)
    assert not outcome.succeeded and outcome.retryable and error in outcome.error


def test_unreachable_address_is_a_retryable_failure() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    outcome = build_callback(rpc(f"127.0.0.1:{port}")).call(CONTEXT)
    assert not outcome.succeeded and outcome.retryable and "ConnectionRefusedError" in outcome.error


def test_round_trips_through_json() -> None:
    callback = build_callback(rpc("[::1]:7000", params=[1, "x"], success_regexp="ok"))
    assert build_callback(callback.to_json()) == callback
    assert callback.target == "[::1]:7000"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "rpc", "method": "A.B"}, "address"),
        (rpc("localhost"), "address"),
        (rpc("localhost:http"), "address"),
        (rpc("localhost:70000"), "address"),
        (rpc("localhost:0"), "address"),
        (rpc("localhost:80/A.B"), "address"),
        (rpc("localhost:80", method="Multiply"), "method"),
        (rpc("localhost:80", method="Arith/Multiply"), "method"),
        (rpc("localhost:80", method=None), "method"),
        (rpc("localhost:80", success_regexp="*"), "success_regexp"),
        (rpc("localhost:80", timeout_seconds=-1), "timeout_seconds"),
        (rpc("localhost:80", params={1, 2}), "params"),
        (rpc("localhost:80", url="http://x"), "url"),
    ],
)
def test_bad_rpc_callbacks_name_the_field(data: dict, field: str) -> None:
    with pytest.raises(InvalidCallback) as error:
        build_callback(data)
    assert error.value.field == field


@pytest.mark.usefixtures("celery_worker")
def test_worker_retries_failed_rpc_calls_until_the_result_matches() -> None:
    answers = iter([{"done": False}, {"done": False}, {"done": True}])
    with serving({"Batch.Run": lambda args: next(answers)}) as server:
        job = make_job(
            callback=rpc(server.address, method="Batch.Run", params={"n": 1}, success_regexp='"done":true'),
            retry={"delays_seconds": [0, 0]},
        )

        def settled() -> bool:
            services.claim_due_occurrences()
            services.dispatch_due_executions(send=send_executions)
            return Execution.objects.filter(job=job, status="succeeded").exists()

        wait_for(settled, timeout=30, message="the third rpc attempt to succeed")
    attempts = list(Execution.objects.filter(job=job).order_by("attempt").values_list("attempt", "reason", "status"))
    assert attempts == [(1, "schedule", "failed"), (2, "retry", "failed"), (3, "retry", "succeeded")]
    assert [request["params"] for request in server.requests] == [[{"n": 1}]] * 3
