"""Credentials in callback headers: encrypted at rest, "***" wherever they are read back (v1,
xtimer, the registry, recorded requests, the admin), the real value at the receiver; "***" sent
back keeps the stored value. A real worker on real Redis calls a real receiver."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tasks_app import services
from tasks_app.models import Execution, Job, Service
from tasks_app.tasks import send_executions
from tests.api_app.xtimer.conftest import seed_timer
from tests.conftest import wait_for
from tests.factories import make_service

pytestmark = pytest.mark.usefixtures("celery_worker")
SECRETS = {"Authorization": "Bearer ALICE-SECRET-123", "X-Api-Key": "KEY-4567", "Cookie": "sid=COOKIE-789", "X-Session-Token": "TOKEN-0123"}
MASKED = dict.fromkeys(SECRETS, "***")


def arrived(receiver: Any, count: int) -> list[dict[str, str]]:
    def enough() -> bool:
        services.claim_due_occurrences()
        services.dispatch_due_executions(send=send_executions)
        return len(receiver.log) >= count

    wait_for(enough, timeout=20, message=f"{count} call(s)")
    return [dict(request.headers) for request, _ in receiver.log]


def operator() -> Client:
    browser = Client()
    browser.force_login(get_user_model().objects.create_user(username="op", is_staff=True, is_superuser=True))
    return browser


def test_v1_job_headers_are_sealed_masked_and_sent_in_clear(api, receiver) -> None:
    receiver.expect_request("/hook").respond_with_data("ok")
    callback = {"kind": "http", "url": receiver.url_for("/hook"), "headers": SECRETS | {"X-Plain": "visible"}}
    job = api.post(
        "/api/v1/jobs", {"namespace": "sec", "name": "j", "trigger": {"kind": "now"}, "callback": callback}, format="json"
    ).json()
    assert job["callback"]["headers"] == MASKED | {"X-Plain": "visible"}
    stored = json.dumps(Job.objects.get(pk=job["id"]).callback)
    assert not any(value in stored for value in SECRETS.values()) and "fernet:" in stored
    [sent] = arrived(receiver, 1)
    assert {name: sent[name] for name in SECRETS} == SECRETS and sent["X-Plain"] == "visible"
    execution = wait_for(lambda: Execution.objects.filter(job_id=job["id"], status="succeeded").first(), message="recorded")
    assert not any(value in json.dumps(execution.request) for value in SECRETS.values())
    assert api.get(f"/api/v1/executions/{execution.pk}").json()["request"]["headers"]["Authorization"] == "***"
    browser = operator()
    page = browser.get(f"/admin/tasks_app/job/{job['id']}/change/").content.decode()
    execution_page = browser.get(f"/admin/tasks_app/execution/{execution.pk}/change/").content.decode()
    assert "Bearer" not in page and "***" in page and execution_page.count("***") >= len(SECRETS)
    assert not any(value in page + execution_page for value in SECRETS.values())


def test_masked_values_sent_back_keep_the_stored_ones(api, receiver) -> None:
    receiver.expect_request("/hook").respond_with_data("ok")
    callback = {"kind": "http", "url": receiver.url_for("/hook"), "headers": SECRETS}
    job = api.post(
        "/api/v1/jobs",
        {"namespace": "sec", "name": "j", "trigger": {"kind": "delay", "seconds": 3600}, "callback": callback},
        format="json",
    )
    job_id = job.json()["id"]
    changed = api.get(f"/api/v1/jobs/{job_id}").json()["callback"]
    changed["headers"]["X-Api-Key"] = "k-new"
    assert api.patch(f"/api/v1/jobs/{job_id}", {"callback": changed}, format="json").status_code == 200
    api.post(f"/api/v1/jobs/{job_id}/trigger")
    [sent] = arrived(receiver, 1)
    assert {name: sent[name] for name in SECRETS} == SECRETS | {"X-Api-Key": "k-new"}


def test_rows_stored_before_sealing_are_read_masked_and_still_sent(api, receiver) -> None:
    receiver.expect_request("/hook").respond_with_data("ok")
    job = services.create_job(
        namespace="old", name="j", trigger={"kind": "delay", "seconds": 3600}, callback={"kind": "http", "url": receiver.url_for("/hook")}
    )
    Job.objects.filter(pk=job.pk).update(callback={**job.callback, "headers": {"Authorization": "Bearer OLD"}})
    assert api.get(f"/api/v1/jobs/{job.pk}").json()["callback"]["headers"] == {"Authorization": "***"}
    services.trigger_job(job=job)
    assert arrived(receiver, 1)[0]["Authorization"] == "Bearer OLD"


def test_xtimer_and_registry_read_backs_are_masked(api, receiver) -> None:
    receiver.expect_request("/consume").respond_with_data("ok")
    timer = seed_timer("http://127.0.0.1:9/n", app="sec-app") | {
        "notifyHTTPParam": {"url": "http://127.0.0.1:9/n", "method": "GET", "header": SECRETS}
    }
    timer_id = api.post("/xtimer/creatTimer", timer, format="json").json()["data"]["timerId"]
    assert api.get(f"/xtimer/getTimer?app=sec-app&timerId={timer_id}").json()["data"]["notifyHTTPParam"]["header"] == MASKED
    make_service(service_id=400, base_url=receiver.url_for("/"), consumer_path="/consume", headers=SECRETS)
    assert api.get("/api/v1/services/400").json()["headers"] == MASKED
    assert not any(value in json.dumps(Service.objects.get(service_id=400).headers) for value in SECRETS.values())
    assert (
        operator().get(f"/admin/tasks_app/service/{Service.objects.get(service_id=400).pk}/change/").content.decode().count("KEY-4567") == 0
    )
    api.patch("/api/v1/services/400", {"headers": MASKED | {"Cookie": "sid=new"}}, format="json")
    api.post("/api/hangfire/enqueue", {"serviceId": 400, "messageId": 1, "data": "{}"}, format="json")
    [sent] = arrived(receiver, 1)
    assert {name: sent[name] for name in SECRETS} == SECRETS | {"Cookie": "sid=new"}
