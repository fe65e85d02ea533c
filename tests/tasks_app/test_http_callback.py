from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tasks_app.callbacks import CallContext, build_callback
from tasks_app.exceptions import InvalidCallback

CONTEXT = CallContext(execution_id=7, job_id=3, attempt=1, scheduled_for=datetime(2026, 1, 1, tzinfo=UTC))


def test_json_body_with_headers(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/run", method="POST", json={"a": 1}, headers={"X-Token": "t"}).respond_with_json({"ok": True})
    callback = build_callback({"url": httpserver.url_for("/run"), "headers": {"X-Token": "t"}, "body": '{"a": 1}', "body_format": "json"})
    outcome = callback.call(CONTEXT)
    assert outcome.succeeded and outcome.response_status == 200
    assert outcome.request["headers"]["X-Execution-Id"] == "7"
    httpserver.check_assertions()


def test_form_body_is_the_objects_fields(httpserver: HTTPServer) -> None:
    seen: list[dict] = []

    def handler(request: Request) -> Response:
        seen.append(dict(request.form))
        return Response("done")

    httpserver.expect_request("/form", method="PUT").respond_with_handler(handler)
    callback = build_callback({"url": httpserver.url_for("/form"), "method": "put", "body": {"a": "1", "b": 2}, "body_format": "form"})
    assert callback.call(CONTEXT).succeeded
    assert seen == [{"a": "1", "b": "2"}]


def test_regexp_decides_success(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/r").respond_with_data('{"code": 1}')
    callback = build_callback({"url": httpserver.url_for("/r"), "success_regexp": r'"code": 0'})
    outcome = callback.call(CONTEXT)
    assert not outcome.succeeded and "does not match" in outcome.error


def test_non_2xx_fails_and_retry_after_is_read(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/busy").respond_with_data("slow down", status=429, headers={"Retry-After": "7"})
    outcome = build_callback({"url": httpserver.url_for("/busy"), "method": "GET"}).call(CONTEXT)
    assert not outcome.succeeded and outcome.response_status == 429 and outcome.retry_after_seconds == 7


def test_unreachable_host_is_a_failure_not_an_exception() -> None:
    outcome = build_callback({"url": "http://127.0.0.1:9/none", "timeout_seconds": 1}).call(CONTEXT)
    assert not outcome.succeeded and outcome.retryable and "ConnectionError" in outcome.error


def test_long_response_body_is_truncated(httpserver: HTTPServer, settings) -> None:
    settings.EXECUTION_RESPONSE_MAX_CHARS = 10
    httpserver.expect_request("/long").respond_with_data("x" * 100)
    outcome = build_callback({"url": httpserver.url_for("/long")}).call(CONTEXT)
    assert outcome.response_body.startswith("x" * 10) and "90 more" in outcome.response_body


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"url": "ftp://x/y"}, "url"),
        ({"url": "not a url"}, "url"),
        ({}, "url"),
        ({"url": "http://x", "method": "BREW"}, "method"),
        ({"url": "http://x", "body": "{oops", "body_format": "json"}, "body"),
        ({"url": "http://x", "body": "[1]", "body_format": "form"}, "body"),
        ({"url": "http://x", "success_regexp": "*"}, "success_regexp"),
        ({"url": "http://x", "timeout_seconds": 0}, "timeout_seconds"),
        ({"url": "http://x", "headers": ["a"]}, "headers"),
        ({"url": "http://x", "verb": "GET"}, "verb"),
        ({"kind": "pigeon"}, "kind"),
    ],
)
def test_bad_callbacks_name_the_field(data: dict, field: str) -> None:
    with pytest.raises(InvalidCallback) as error:
        build_callback(data)
    assert error.value.field == field


def test_round_trip_through_json() -> None:
    data = build_callback({"url": "http://x/y", "body": {"a": 1}, "body_format": "json"}).to_json()
    assert json.loads(data["body"]) == {"a": 1}
    assert build_callback(data).to_json() == data


def test_a_redirect_is_followed_with_the_method_and_body(httpserver: HTTPServer) -> None:
    bodies: list[tuple[str, str]] = []

    def new_home(request: Request) -> Response:
        bodies.append((request.method, request.get_data(as_text=True)))
        return Response("moved in")

    httpserver.expect_request("/old").respond_with_data("", status=302, headers={"Location": "/new"})
    httpserver.expect_request("/new").respond_with_handler(new_home)
    outcome = build_callback({"url": httpserver.url_for("/old"), "body": '{"a": 1}', "body_format": "json"}).call(CONTEXT)
    assert outcome.succeeded and outcome.response_body == "moved in"
    assert bodies == [("POST", '{"a": 1}')]


def test_the_body_is_read_in_the_charset_the_response_names(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/latin").respond_with_data("café".encode("latin-1"), content_type="text/plain; charset=ISO-8859-1")
    httpserver.expect_request("/utf8").respond_with_data("café".encode(), content_type="application/json")
    assert build_callback({"url": httpserver.url_for("/latin")}).call(CONTEXT).response_body == "café"
    assert build_callback({"url": httpserver.url_for("/utf8")}).call(CONTEXT).response_body == "café"


def test_a_read_timeout_is_a_retryable_timeout(httpserver: HTTPServer) -> None:
    import time

    httpserver.expect_request("/slow").respond_with_handler(lambda request: (time.sleep(1.5), Response("late"))[1])
    outcome = build_callback({"url": httpserver.url_for("/slow"), "timeout_seconds": 0.5}).call(CONTEXT)
    assert not outcome.succeeded and outcome.retryable and outcome.error.startswith("Timeout: ")
