"""consume and transfer: calls to registered services, received by a real local HTTP server."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pytest_httpserver import HTTPServer

from tasks_app.callbacks import CallContext, build_callback
from tasks_app.exceptions import InvalidCallback
from tasks_app.models import Job
from tasks_app.services import registry
from tests.factories import make_job, make_service

CONTEXT = CallContext(execution_id=7, job_id=3, attempt=1, scheduled_for=datetime(2026, 1, 1, tzinfo=UTC))
CONSUME = {"kind": "consume", "service_id": 2001, "message_id": 100, "data": '{"orderId": 5}', "request_id": "r-1", "client_ip": "10.0.0.9"}
TRANSFER = CONSUME | {"kind": "transfer", "message_id": 7}


def _service(httpserver: HTTPServer, **options):
    return make_service(base_url=httpserver.url_for("/"), consumer_path="/api/hangfire/excute", routes={7: "/orders/create"}, **options)


@pytest.mark.django_db
def test_consume_posts_the_excute_contract(httpserver: HTTPServer) -> None:
    _service(httpserver, headers={"X-Token": "t"}, timeout_seconds=12)
    body = {"jobId": "3", "serviceId": 2001, "messageId": 100, "data": '{"orderId": 5}'}
    headers = {"X-Request-Id": "r-1", "X-Forwarded-For": "10.0.0.9", "X-Token": "t", "X-Execution-Id": "7"}
    httpserver.expect_request("/api/hangfire/excute", method="POST", json=body, headers=headers).respond_with_json({"returnCode": 0})
    callback = build_callback(CONSUME)
    assert callback.timeout_seconds == 12
    outcome = callback.call(CONTEXT)
    assert outcome.succeeded, outcome.error
    httpserver.check_assertions()


@pytest.mark.django_db
def test_transfer_forwards_data_as_the_body_of_the_route(httpserver: HTTPServer) -> None:
    _service(httpserver)
    headers = {"X-Request-Id": "r-1", "X-Forwarded-For": "10.0.0.9", "Content-Type": "application/json"}
    httpserver.expect_request("/orders/create", method="POST", json={"orderId": 5}, headers=headers).respond_with_data("ok")
    assert build_callback(TRANSFER).call(CONTEXT).succeeded
    httpserver.check_assertions()


@pytest.mark.django_db
def test_transfer_by_get_sends_no_body(httpserver: HTTPServer) -> None:
    service = _service(httpserver)
    registry.update_route(route=registry.get_route(service=service, message_id=7), method="GET")
    httpserver.expect_request("/orders/create", method="GET", data=b"").respond_with_data("ok")
    assert build_callback(TRANSFER).call(CONTEXT).succeeded
    httpserver.check_assertions()


@pytest.mark.django_db
def test_the_registry_is_read_when_the_call_is_made(httpserver: HTTPServer) -> None:
    service = make_service(base_url="http://127.0.0.1:9", consumer_path="/gone")
    stored = build_callback(CONSUME).to_json()
    registry.update_service(service=service, base_url=httpserver.url_for("/"), consumer_path="/moved")
    httpserver.expect_request("/moved").respond_with_data("ok")
    assert build_callback(stored).call(CONTEXT).succeeded


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "routes", "problem"), [(CONSUME, None, "service 2001 is not registered"),
                                                         (TRANSFER, {8: "/other"}, "no route for message 7")])  # fmt: skip
def test_unregistered_at_call_time_fails_for_good(data: dict, routes: dict | None, problem: str) -> None:
    if routes is not None:
        make_service(routes=routes)
    outcome = build_callback(data).call(CONTEXT)
    assert not outcome.succeeded and not outcome.retryable and problem in outcome.error


@pytest.mark.django_db
def test_a_non_zero_return_code_is_a_failure(httpserver: HTTPServer) -> None:
    _service(httpserver)
    httpserver.expect_request("/api/hangfire/excute").respond_with_json({"returnCode": 5, "returnMessage": "busy"})
    outcome = build_callback(CONSUME).call(CONTEXT)
    assert not outcome.succeeded and outcome.retryable and outcome.error == "returnCode 5: busy"


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "field"), [(CONSUME, "service_id"), (TRANSFER, "message_id")])
def test_jobs_naming_unregistered_services_are_refused(data: dict, field: str) -> None:
    make_service(service_id=2001 if field == "message_id" else 3000)
    with pytest.raises(InvalidCallback) as error:
        make_job(callback=data)
    assert error.value.field == field and not Job.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"service_id": 0}, "service_id"),
        ({"service_id": "2001"}, "service_id"),
        ({"message_id": None}, "message_id"),
        ({"data": 5}, "data"),
        ({"data": 0}, "data"),
        ({"request_id": "a\r\nX-Evil: 1"}, "request_id"),
        ({"client_ip": ["1.2.3.4"]}, "client_ip"),
        ({"url": "http://x"}, "url"),
    ],
)
def test_bad_fields_are_named(changes: dict, field: str) -> None:
    with pytest.raises(InvalidCallback) as error:
        build_callback(CONSUME | changes)
    assert error.value.field == field


def test_transfer_data_must_be_json() -> None:
    with pytest.raises(InvalidCallback) as error:
        build_callback(TRANSFER | {"data": "{not json"})
    assert error.value.field == "data"
    assert build_callback(CONSUME | {"data": "plain text"}).to_json()["data"] == "plain text"
    assert json.loads(build_callback(TRANSFER).to_json()["data"]) == {"orderId": 5}
