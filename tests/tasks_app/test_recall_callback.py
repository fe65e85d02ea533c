"""The HTTP recall kind against a real local HTTP server."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tasks_app.callbacks import CallContext, build_callback
from tasks_app.exceptions import InvalidCallback

CONTEXT = CallContext(execution_id=11, job_id=4, attempt=1, scheduled_for=datetime(2026, 1, 1, tzinfo=UTC))


def recall(server: HTTPServer, data: object = None) -> object:
    return build_callback({"kind": "http_recall", "url": server.url_for("/recall"), "data": data, "timeout_seconds": 3}).call(CONTEXT)


@pytest.mark.parametrize("data", [{"order": 1}, '{"order": 1}', "plain", None])
def test_posts_the_recall_document_as_json(httpserver: HTTPServer, data: object) -> None:
    seen: list[Request] = []
    httpserver.expect_request("/recall", method="POST").respond_with_handler(lambda r: (seen.append(r), Response('{"success": true}'))[1])
    assert recall(httpserver, data).succeeded
    assert seen[0].mimetype == "application/json" and json.loads(seen[0].data) == {"data": data, "tasklogid": "11"}
    assert seen[0].headers["X-Execution-Id"] == "11"


@pytest.mark.parametrize(
    ("body", "status", "succeeded", "pending", "error"),
    [
        ('{"success": true, "resultValue": null, "asynchronized": "false"}', 200, True, False, ""),
        ('{"success": "true"}', 200, True, False, ""),
        ('{"success": "true", "asynchronized": true}', 200, False, True, ""),
        ('{"success": false, "error": "bad order"}', 200, False, False, "success=False: bad order"),
        ('{"success": "yes"}', 200, False, False, "success='yes'"),
        ("done", 200, False, False, "not a JSON object"),
        ('{"success": true}', 500, False, False, "HTTP 500"),
    ],
)
def test_replies_are_judged_by_the_success_rule(
    httpserver: HTTPServer, body: str, status: int, succeeded: bool, pending: bool, error: str
) -> None:
    httpserver.expect_request("/recall").respond_with_data(body, status=status)
    outcome = recall(httpserver)
    assert (outcome.succeeded, outcome.pending) == (succeeded, pending)
    assert error in outcome.error if error else outcome.error == ""


def test_a_long_reply_is_judged_whole_and_stored_truncated(httpserver: HTTPServer, settings) -> None:
    settings.EXECUTION_RESPONSE_MAX_CHARS = 20
    httpserver.expect_request("/recall").respond_with_data(json.dumps({"resultValue": "x" * 100, "success": "true"}))
    outcome = recall(httpserver)
    assert outcome.succeeded and "more]" in outcome.response_body


@pytest.mark.parametrize(("data", "field"), [({}, "url"), ({"url": "ftp://x"}, "url"), ({"url": "http://x", "method": "GET"}, "method")])
def test_bad_recalls_name_the_field(data: dict, field: str) -> None:
    with pytest.raises(InvalidCallback) as error:
        build_callback({"kind": "http_recall", **data})
    assert error.value.field == field
