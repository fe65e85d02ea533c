"""The JSON stored for each callback kind, trigger kind and retry form: key by key, in the order
clients and the console have always read it (tasks_app.stored writes fields in declared order)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tasks_app.callbacks import build_callback
from tasks_app.retry import RetryPolicy
from tasks_app.triggers import build_trigger

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (
            {"url": "http://10.1.2.3/x", "method": "put", "headers": {"A": 2}, "body": {"z": 1, "a": 2}, "body_format": "json"},
            '{"kind": "http", "url": "http://10.1.2.3/x", "method": "PUT", "headers": {"A": "2"}, "body": "{\\"z\\": 1, \\"a\\": 2}",'
            ' "body_format": "json", "timeout_seconds": 10.0, "success_regexp": null}',
        ),
        (
            {"kind": "socket", "host": "10.1.2.3", "port": 9000, "payload": {"b": 1, "a": 2}},
            '{"kind": "socket", "host": "10.1.2.3", "port": 9000, "payload_json": "{\\"b\\": 1, \\"a\\": 2}", "timeout_seconds": 10.0}',
        ),
        (
            {"kind": "rpc", "address": "10.1.2.3:1234", "method": "Svc.Do", "params": [1]},
            '{"kind": "rpc", "address": "10.1.2.3:1234", "method": "Svc.Do", "params": [1], "timeout_seconds": 10.0,'
            ' "success_regexp": null}',
        ),
        (
            {"kind": "transfer", "service_id": 3, "message_id": 4, "data": "{}", "request_id": "r"},
            '{"kind": "transfer", "service_id": 3, "message_id": 4, "data": "{}", "request_id": "r", "client_ip": ""}',
        ),
        (
            {"kind": "http_recall", "url": "http://10.1.2.3/r", "data": 5, "timeout_seconds": 7},
            '{"kind": "http_recall", "url": "http://10.1.2.3/r", "data": 5, "timeout_seconds": 7.0}',
        ),
    ],
)
def test_callbacks(given: dict, stored: str) -> None:
    assert json.dumps(build_callback(given).to_json()) == stored


def test_a_secret_header_is_stored_sealed_in_its_place() -> None:
    stored = build_callback({"url": "http://10.1.2.3/x", "headers": {"X-Token": "t0ken"}}).to_json()
    assert list(stored) == ["kind", "url", "method", "headers", "body", "body_format", "timeout_seconds", "success_regexp"]
    assert stored["headers"]["X-Token"].startswith("fernet:")


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ({"kind": "now"}, '{"kind": "now", "time_zone": "UTC", "created_at": "2026-05-01T12:00:00+00:00"}'),
        ({"kind": "delay", "seconds": 30}, '{"kind": "delay", "time_zone": "UTC", "at": "2026-05-01T12:00:30+00:00", "seconds": 30}'),
        (
            {"kind": "interval", "every_seconds": 0.5, "repeat_count": 4},
            '{"kind": "interval", "time_zone": "UTC", "every_seconds": 0.5, "start_at": "2026-05-01T12:00:00+00:00", "end_at": null,'
            ' "repeat_count": 4}',
        ),
        (
            {"kind": "cron", "cron": "0 30 2 * * ?", "time_zone": "Asia/Shanghai"},
            '{"kind": "cron", "time_zone": "Asia/Shanghai", "cron": "0 30 2 * * ?", "syntax": "quartz", "start_at": null, "end_at": null}',
        ),
    ],
)
def test_triggers(given: dict, stored: str) -> None:
    assert json.dumps(build_trigger(given, now=NOW).to_json()) == stored


def test_retry_policies_in_either_form() -> None:
    assert json.dumps(RetryPolicy.from_json({"delays_seconds": [1, 2.5]}).to_json()) == '{"delays_seconds": [1, 2.5]}'
    backoff = RetryPolicy.from_json({"max_attempts": 3}).to_json()
    assert json.dumps(backoff) == '{"max_attempts": 3, "backoff_seconds": 1, "max_backoff_seconds": null}'
