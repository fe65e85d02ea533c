"""The audit trail: changes made through v1, three dialects and the admin, read back from
GET /api/v1/audit (newest first, filtered) with who, how, what and the fields before and after."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from tasks_app.models import AuditEntry, Job
from tests.api_app.crontab.conftest import Crontab, task
from tests.api_app.dispatch.wire import ADD, add_body, cron_task, send
from tests.api_app.xtimer.conftest import XtimerClient
from tests.tasks_app.admin.test_jobs import form

pytestmark = pytest.mark.django_db
URL = "http://127.0.0.1:9/run"


def trail(api: APIClient, **filters: Any) -> list[dict[str, Any]]:
    response = api.get("/api/v1/audit", filters)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_v1_changes_to_a_job_with_secrets_masked(api: APIClient) -> None:
    callback = {"kind": "http", "url": URL, "headers": {"Authorization": "Bearer s3cret", "X-Trace": "t1"}}
    created = api.post(
        "/api/v1/jobs",
        {"namespace": "billing", "name": "n", "trigger": {"kind": "delay", "seconds": 60}, "callback": callback},
        format="json",
    )
    job_id = created.json()["id"]
    api.patch(f"/api/v1/jobs/{job_id}", {"priority": 5}, format="json")
    api.post(f"/api/v1/jobs/{job_id}/pause")
    api.post(f"/api/v1/jobs/{job_id}/trigger")
    api.delete(f"/api/v1/jobs/{job_id}")

    entries = trail(api, object_type="job", object_id=job_id)
    assert [e["action"] for e in entries] == ["delete", "trigger", "pause", "update", "create"]
    assert {(e["via"], e["actor"], e["namespace"]) for e in entries} == {("v1", "api-user", "billing")}
    create, update, pause = entries[4], entries[3], entries[2]
    assert create["changes"]["callback"][1]["headers"] == {"Authorization": "***", "X-Trace": "t1"}
    assert update["changes"] == {"priority": [0, 5]}
    assert pause["changes"] == {"enabled": [True, False]}
    assert "s3cret" not in json.dumps(entries)


def test_three_dialects_are_named_as_the_door_they_came_through(api: APIClient) -> None:
    timer = {"app": "shop", "name": "tick", "status": 1, "cron": "0 */5 * * * *", "notifyHTTPParam": {"url": URL, "method": "POST"}}
    timer_id = XtimerClient(api).created_id(timer)
    XtimerClient(api).enable("shop", timer_id)
    Crontab(api).post("add_task", {"task_list": [task("nightly", module="reports")]})
    assert send(api, ADD, add_body(cron_task(name="report", group="finance"))).json()["success"] is True

    def doors(namespace: str) -> list[tuple[str, str, str]]:
        return [(e["via"], e["action"], e["actor"]) for e in trail(api, namespace=namespace)]

    assert doors("shop") == [("xtimer", "resume", "api-user"), ("xtimer", "create", "api-user")]
    assert doors("reports") == [("crontab", "create", "api-user")]
    assert doors("finance") == [("dispatch", "create", "api-user")]
    assert trail(api, namespace="shop")[0]["object_id"] == str(timer_id)


def test_admin_changes_are_recorded_with_the_operator(api: APIClient) -> None:
    admin = get_user_model().objects.create_superuser(username="ops-anna", password="pw-for-tests")
    operator = Client()
    operator.force_login(admin)
    assert operator.post("/admin/tasks_app/job/add/", form()).status_code == 302
    job = Job.objects.get(name="nightly")
    assert operator.post(f"/admin/tasks_app/job/{job.pk}/change/", form(priority="3")).status_code == 302
    rule = {"namespace": "billing", "url": URL, "after_failures": "2", "remind_every_seconds": "60", "email": "", "enabled": "on"}
    assert operator.post("/admin/tasks_app/alertrule/add/", rule).status_code == 302

    jobs = trail(api, object_type="job", object_id=job.pk)
    assert [(e["via"], e["actor"], e["action"]) for e in jobs] == [("admin", "ops-anna", "update"), ("admin", "ops-anna", "create")]
    assert jobs[0]["changes"] == {"priority": [0, 3]}
    assert trail(api, object_type="alert_rule")[0]["via"] == "admin"
    page = operator.get("/admin/tasks_app/auditentry/").content.decode()
    assert "ops-anna" in page and operator.get(f"/admin/tasks_app/auditentry/{AuditEntry.objects.first().pk}/delete/").status_code == 403


def test_registry_and_alert_rules_through_v1(api: APIClient) -> None:
    api.post("/api/v1/services", {"service_id": 7, "base_url": "http://127.0.0.1:9", "headers": {"X-Api-Key": "k"}}, format="json")
    api.patch("/api/v1/services/7", {"timeout_seconds": 5}, format="json")
    rule = api.post("/api/v1/alert-rules", {"namespace": "b*", "url": URL, "after_failures": 2}, format="json").json()
    api.patch(f"/api/v1/alert-rules/{rule['id']}", {"remind_every_seconds": 60}, format="json")
    api.delete(f"/api/v1/alert-rules/{rule['id']}")

    services = trail(api, object_type="service")
    assert [e["action"] for e in services] == ["update", "create"]
    assert services[1]["changes"]["headers"] == [None, {"X-Api-Key": "***"}] and services[0]["changes"] == {"timeout_seconds": [30.0, 5.0]}
    rules = trail(api, object_type="alert_rule", object_id=rule["id"])
    assert [e["action"] for e in rules] == ["delete", "update", "create"]
    assert rules[1]["changes"] == {"remind_every_seconds": [3600, 60]}


def test_the_trail_is_paginated_and_read_only(api: APIClient) -> None:
    for number in range(3):
        api.post("/api/v1/alert-rules", {"url": f"{URL}/{number}"}, format="json")
    page = api.get("/api/v1/audit", {"page_size": 2}).json()
    assert (
        page["count"] == 3
        and [e["changes"]["url"][1] for e in page["results"]] == [f"{URL}/2", f"{URL}/1", f"{URL}/0"][: len(page["results"])]
    )
    assert api.post("/api/v1/audit", {}, format="json").status_code == 405


def test_a_retry_is_recorded_on_its_job(api: APIClient) -> None:
    from tasks_app import services
    from tasks_app.callbacks import Outcome
    from tests.factories import make_job

    job = make_job(namespace="billing")
    failed = services.trigger_job(job=job)
    services.record_outcome(execution=failed, outcome=Outcome(succeeded=False, request={}, error="HTTP 500"))
    retry = api.post(f"/api/v1/executions/{failed.pk}/retry").json()
    entry = trail(api, object_type="job", object_id=job.pk)[0]
    assert (entry["action"], entry["via"], entry["changes"]) == ("retry", "v1", {"execution": [failed.pk, retry["id"]]})


def test_an_update_that_changes_nothing_is_not_recorded(api: APIClient) -> None:
    from tests.factories import make_job

    job = make_job(namespace="billing", priority=2)
    assert api.patch(f"/api/v1/jobs/{job.pk}", {"priority": 2}, format="json").status_code == 200
    assert [e["action"] for e in trail(api, object_type="job", object_id=job.pk)] == ["create"]


def test_tokens_and_signing_secrets_are_recorded_without_their_values(api: APIClient) -> None:
    created = api.post("/api/v1/tokens", {"name": "billing-team", "namespaces": ["billing-*"]}, format="json").json()
    rotated = api.post("/api/v1/namespaces/billing-eu/signing-secret/rotate")
    assert rotated.status_code == 200, rotated.content
    api.delete(f"/api/v1/tokens/{created['id']}")
    tokens = trail(api, object_type="api_token", object_id=created["id"])
    assert [e["action"] for e in tokens] == ["revoke", "create"]
    assert tokens[1]["changes"]["namespaces"] == [None, ["billing-*"]] and created["key"] not in json.dumps(tokens)
    secret = trail(api, object_type="signing_secret")[0]
    assert (secret["action"], secret["namespace"], secret["changes"]) == ("rotate", "billing-eu", {"secret": ["***", "***"]})
    assert rotated.json().get("secret", "not shown") not in json.dumps(secret)


def test_a_scoped_token_is_named_and_reads_only_its_namespaces(api: APIClient) -> None:
    from tasks_app.services.tenancy import create_api_client

    _, key = create_api_client(name="billing-team", namespaces=["billing"])
    team = APIClient()
    team.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    job = {"namespace": "billing", "name": "n", "trigger": {"kind": "delay", "seconds": 60}, "callback": {"kind": "http", "url": URL}}
    assert team.post("/api/v1/jobs", job, format="json").status_code == 201
    assert api.post("/api/v1/jobs", job | {"namespace": "mail"}, format="json").status_code == 201
    assert [(e["actor"], e["namespace"]) for e in trail(team, object_type="job")] == [("billing-team", "billing")]
    assert team.post("/api/v1/alert-rules", {"namespace": "*", "url": URL}, format="json").status_code == 403
    assert team.post("/api/v1/alert-rules", {"namespace": "billing", "url": URL}, format="json").status_code == 201
    api.post("/api/v1/alert-rules", {"namespace": "mail", "url": URL}, format="json")
    assert [rule["namespace"] for rule in team.get("/api/v1/alert-rules").json()["results"]] == ["billing"]
