"""Numbers and moments out of range, crons that never fire and header values with CR/LF: a 4xx
in each dialect's envelope naming the field, and nothing written (issue 18). Each of these was
once a 500, a job that could never fire, or one that stopped the scheduler."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from tasks_app.models import Execution, Job
from tests.api_app.crontab.conftest import task
from tests.api_app.dispatch.wire import add_body, cron_task, simple_task
from tests.api_app.xtimer.conftest import seed_timer
from tests.factories import make_job

pytestmark = pytest.mark.django_db
URL = "http://127.0.0.1:9/unused"
START = "2030-01-01T00:00:00+00:00"


def v1_job(**changes: Any) -> dict[str, Any]:
    job = {"namespace": "n", "name": "j", "trigger": {"kind": "now"}, "callback": {"url": URL}}
    return job | changes


V1_CASES = [
    ({"trigger": {"kind": "interval", "every_seconds": 1e300}}, "every_seconds"),
    ({"trigger": {"kind": "interval", "every_seconds": 1e-9}}, "every_seconds"),
    ({"trigger": {"kind": "interval", "every_seconds": 0.05}}, "every_seconds"),
    ({"trigger": {"kind": "interval", "every_seconds": 1, "repeat_count": 2**31}}, "repeat_count"),
    ({"trigger": {"kind": "interval", "every_seconds": 1, "start_at": "0001-01-01T00:00:00Z"}}, "start_at"),
    ({"trigger": {"kind": "delay", "seconds": 1e20}}, "seconds"),
    ({"trigger": {"kind": "delay", "seconds": 101 * 365 * 86400}}, "seconds"),
    ({"trigger": {"kind": "at", "at": "2026-01-01T00:00:00+25:00"}}, "at"),
    ({"trigger": {"kind": "at", "at": "0001-01-01T00:00:00Z"}}, "at"),
    ({"trigger": {"kind": "at", "at": "1969-12-31T23:59:59Z"}}, "at"),
    ({"trigger": {"kind": "at", "at": "9999-12-31T23:59:59-14:00"}}, "at"),
    ({"trigger": {"kind": "at", "at": "2026-02-30T00:00:00Z"}}, "at"),
    ({"trigger": {"kind": "cron", "cron": "0 0 30 2 *"}}, "cron"),
    ({"trigger": {"kind": "cron", "cron": "0 0 0 ? * * 2020"}}, "cron"),
    ({"retry": {"delays_seconds": [1] * 101}}, "delays_seconds"),
    ({"retry": {"delays_seconds": [1e300]}}, "delays_seconds"),
    ({"retry": {"max_attempts": 10**9, "backoff_seconds": 1}}, "max_attempts"),
    ({"callback": {"url": URL, "headers": {"X-A": "a\r\nX-Injected: 1"}}}, "headers"),
    ({"callback": {"url": URL, "headers": {"Bad Name": "a"}}}, "headers"),
    ({"callback": {"url": URL, "timeout_seconds": 1e300}}, "timeout_seconds"),
    ({"callback": {"kind": "socket", "host": "127.0.0.1", "port": 2**40}}, "port"),
]


@pytest.mark.parametrize("changes, field", V1_CASES)
def test_v1_create_refuses_out_of_range_values_naming_the_field(api: APIClient, changes, field) -> None:
    response = api.post("/api/v1/jobs", v1_job(**changes), format="json")
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field, response.json()
    assert Job.objects.count() == Execution.objects.count() == 0


@pytest.mark.parametrize("changes, field", V1_CASES)
def test_v1_update_refuses_them_too_and_changes_nothing(api: APIClient, changes, field) -> None:
    job = make_job(trigger={"kind": "interval", "every_seconds": 60, "start_at": START})
    response = api.patch(f"/api/v1/jobs/{job.pk}", changes, format="json")
    assert response.status_code == 400 and response.json()["field"] == field, response.content
    assert Job.objects.get(pk=job.pk).trigger == job.trigger


NOTIFY_CRLF = json.dumps({"method": "GET", "url": URL, "header": {"X-A": "a\r\nb"}})
DIALECT_CASES = [
    ("/api/hangfire/schedulesecond", {"serviceId": 1, "messageId": 1, "delay": 1e20}, "delay"),
    ("/api/hangfire/schedule", {"serviceId": 1, "messageId": 1, "delay": 10**12}, "delay"),
    ("/xtimer/creatTimer", seed_timer(URL, cron="0 0 0 30 2 *"), "never fires"),
    ("/xtimer/creatTimer", seed_timer(URL, retry=[1e300]), "retry"),
    ("/xtimer/creatTimer", seed_timer(URL, notifyHTTPParam=NOTIFY_CRLF), "notifyHTTPParam.header"),
    ("/dispatchserver/add.do", add_body(simple_task({"interval": 1e300, "intervalType": "SECOND", "isForever": True})), "interval"),
    ("/dispatchserver/add.do", add_body(simple_task({"interval": 1, "intervalType": "SECOND", "repeatCount": 2**40})), "repeatCount"),
    ("/dispatchserver/add.do", add_body(cron_task("0 0 0 30 2 ?")), "cronExpress"),
    ("/api/queues/CreateTask", {"Task": {"Channel": "c", "RetryMaxLimit": 2**40}}, "RetryMaxLimit"),
]


@pytest.mark.parametrize("path, body, named", DIALECT_CASES)
def test_each_dialect_refuses_them_in_its_envelope(api: APIClient, path, body, named) -> None:
    response = api.post(path, body, format="json")
    assert 400 <= response.status_code < 500, response.content
    assert named in response.content.decode()
    assert Job.objects.count() == 0


@pytest.mark.parametrize(
    "fields, named",
    [
        ({"type": 6, "start_time": "0 0 0 30 2 *"}, "never fires"),
        ({"redo_param": "1e300"}, "redo_param"),
        ({"type": 1, "start_time": str(10**20)}, "start_time"),
    ],
)
def test_crontab_refuses_them_in_the_tasks_err(api: APIClient, fields, named) -> None:
    answer = api.post("/crontab/add_task", {"task_list": [task("t", **fields)]}, format="json").json()
    [result] = answer["data"]["task_result"]
    assert named in result["err"]
    assert Job.objects.count() == 0
