"""The egress policy against real servers: refused when a job, service or route is saved, and
again at connect time (a name that resolves elsewhere by then, a redirect hop); a refusal at
call time is permanent and reaches nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import override_settings
from werkzeug import Response

from tasks_app.callbacks import CallContext, build_callback
from tasks_app.exceptions import InvalidCallback, InvalidInput
from tests.factories import make_service
from tests.tcp import LineServer

CONTEXT = CallContext(execution_id=41, job_id=7, attempt=1, scheduled_for=datetime(2026, 1, 1, tzinfo=UTC))
REDIS_PORT = urlsplit(settings.REDIS_URL).port or 6379


@pytest.mark.parametrize(
    "callback, field",
    [
        ({"kind": "http", "url": f"http://127.0.0.1:{settings.HTTP_PORT}/healthz"}, "url"),
        ({"kind": "http", "url": f"http://localhost:{settings.HTTP_PORT}/"}, "url"),
        ({"kind": "http", "url": f"http://2130706433:{settings.HTTP_PORT}/"}, "url"),
        ({"kind": "http", "url": f"http://0x7f.1:{REDIS_PORT}/"}, "url"),
        ({"kind": "http", "url": "http://0.0.0.0/"}, "url"),
        ({"kind": "http", "url": "http://169.254.169.254/latest/meta-data/"}, "url"),
        ({"kind": "http", "url": "http://[fd00:ec2::254]/"}, "url"),
        ({"kind": "http", "url": "http://100.100.100.200/"}, "url"),
        ({"kind": "http_recall", "url": "http://[::ffff:169.254.169.254]/"}, "url"),
        ({"kind": "socket", "host": "127.0.0.1", "port": REDIS_PORT}, "host"),
        ({"kind": "socket", "host": "localhost", "port": settings.GRPC_PORT}, "host"),
        ({"kind": "rpc", "address": f"127.0.0.1:{REDIS_PORT}", "method": "A.B"}, "address"),
    ],
)
def test_refused_targets_are_refused_when_saved(callback, field) -> None:
    with pytest.raises(InvalidCallback, match="egress policy") as raised:
        build_callback(callback)
    assert raised.value.field == field


def test_the_database_port_is_refused_on_postgresql() -> None:
    database = settings.DATABASES["default"]
    if "postgresql" not in database["ENGINE"]:
        pytest.skip("SQLite listens on no port")
    host, port = database.get("HOST") or "localhost", int(database.get("PORT") or 5432)
    with pytest.raises(InvalidCallback, match="platform's own database"):
        build_callback({"kind": "socket", "host": host, "port": port})


def test_loopback_services_are_allowed_by_default(receiver) -> None:
    receiver.expect_request("/run").respond_with_data("ok")
    assert build_callback({"url": receiver.url_for("/run")}).call(CONTEXT).succeeded


def test_a_name_refused_at_connect_time_is_a_permanent_failure_that_sends_nothing(receiver) -> None:
    receiver.expect_request("/run").respond_with_data("ok")
    callback = build_callback({"url": f"http://localhost:{receiver.port}/run"})
    with override_settings(CALLBACK_DENIED_NETWORKS=["127.0.0.0/8", "::1"]):
        outcome = callback.call(CONTEXT)
    assert not outcome.succeeded and not outcome.retryable
    assert "egress policy" in outcome.error and "CALLBACK_DENIED_NETWORKS" in outcome.error
    assert receiver.log == []


def test_the_platforms_own_listener_is_refused_at_connect_time(receiver) -> None:
    receiver.expect_request("/healthz").respond_with_data("secret page")
    callback = build_callback({"url": receiver.url_for("/healthz")})
    with override_settings(HTTP_PORT=receiver.port):
        outcome = callback.call(CONTEXT)
    assert not outcome.retryable and "platform's own HTTP listener" in outcome.error and outcome.response_body == ""
    assert receiver.log == []


def test_every_redirect_hop_is_checked(receiver) -> None:
    from pytest_httpserver import HTTPServer

    inner = HTTPServer(host="127.0.0.1", port=0)
    inner.start()
    try:
        inner.expect_request("/internal").respond_with_data("internal page")
        receiver.expect_request("/hop").respond_with_response(Response(status=302, headers={"Location": inner.url_for("/internal")}))
        with override_settings(CALLBACK_DENIED_NETWORKS=[f"127.0.0.1:{inner.port}"]):
            outcome = build_callback({"url": receiver.url_for("/hop")}).call(CONTEXT)
        assert not outcome.retryable and f"127.0.0.1:{inner.port}" in outcome.error
        assert inner.log == []
    finally:
        inner.stop()


def test_only_the_allowed_networks_are_called_when_some_are_set(receiver) -> None:
    receiver.expect_request("/run").respond_with_data("ok")
    with override_settings(CALLBACK_ALLOWED_NETWORKS=["10.0.0.0/8"]), pytest.raises(InvalidCallback, match="CALLBACK_ALLOWED_NETWORKS"):
        build_callback({"url": receiver.url_for("/run")})
    with override_settings(CALLBACK_ALLOWED_NETWORKS=[f"127.0.0.1:{receiver.port}"]):
        assert build_callback({"url": receiver.url_for("/run")}).call(CONTEXT).succeeded


def test_redirects_stop_at_the_limit(receiver) -> None:
    for hop in range(8):
        receiver.expect_request(f"/{hop}").respond_with_response(Response(status=302, headers={"Location": f"/{hop + 1}"}))
    receiver.expect_request("/8").respond_with_data("too far")
    with override_settings(CALLBACK_MAX_REDIRECTS=5):
        outcome = build_callback({"url": receiver.url_for("/0")}).call(CONTEXT)
    assert not outcome.succeeded and "more than CALLBACK_MAX_REDIRECTS (5)" in outcome.error
    assert [entry[0].path for entry in receiver.log] == ["/0", "/1", "/2", "/3", "/4", "/5"]


def test_a_redirect_to_another_scheme_is_not_followed(receiver) -> None:
    receiver.expect_request("/hop").respond_with_response(Response(status=301, headers={"Location": "https://example.invalid/"}))
    outcome = build_callback({"url": receiver.url_for("/hop")}).call(CONTEXT)
    assert not outcome.succeeded and outcome.response_status == 301 and "another scheme" in outcome.error


def test_socket_and_rpc_refused_at_connect_time_send_nothing() -> None:
    with LineServer(lambda line: b'{"success": true}\n') as server:
        socket_callback = build_callback({"kind": "socket", "host": "localhost", "port": server.port})
        rpc_callback = build_callback({"kind": "rpc", "address": f"localhost:{server.port}", "method": "A.B"})
        with override_settings(CALLBACK_DENIED_NETWORKS=[f"localhost:{server.port}"]):
            outcomes = [socket_callback.call(CONTEXT), rpc_callback.call(CONTEXT)]
        assert all(not o.retryable and "egress policy" in o.error for o in outcomes), outcomes
        assert server.lines == []


@pytest.mark.django_db
def test_a_service_at_a_metadata_address_is_refused_and_so_is_a_transfer_to_it(receiver) -> None:
    with pytest.raises(InvalidInput, match="egress policy") as raised:
        make_service(service_id=3001, base_url="http://169.254.169.254")
    assert raised.value.field == "base_url"
    make_service(service_id=3002, base_url=receiver.url_for(""), routes={7: "/t"})
    callback = build_callback({"kind": "transfer", "service_id": 3002, "message_id": 7, "data": "{}"})
    with override_settings(CALLBACK_DENIED_NETWORKS=[f"127.0.0.1:{receiver.port}"]):
        outcome = callback.call(CONTEXT)
    assert not outcome.retryable and "egress policy" in outcome.error and receiver.log == []
