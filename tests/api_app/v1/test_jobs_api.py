from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tasks_app.models import Execution, Job

pytestmark = pytest.mark.django_db

JOB = {
    "namespace": "billing",
    "name": "nightly-invoice",
    "trigger": {"kind": "cron", "cron": "0 30 2 * * ?", "time_zone": "Asia/Shanghai"},
    "callback": {"kind": "http", "url": "http://svc:8080/run", "method": "POST", "headers": {"X-Token": "t"},
                 "body": "{\"a\": 1}", "body_format": "json", "timeout_seconds": 10},
    "retry": {"delays_seconds": [2, 4, 8]},
}  # fmt: skip


def test_create_read_list_and_filter(api: APIClient) -> None:
    created = api.post("/api/v1/jobs", JOB, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["dialect"] == "v1" and body["state"] == "scheduled"
    assert body["next_fire_at"].startswith("2026-") or body["next_fire_at"]
    assert body["trigger"]["cron"] == "0 30 2 * * ?" and body["trigger"]["time_zone"] == "Asia/Shanghai"
    assert api.get(f"/api/v1/jobs/{body['id']}/").json()["name"] == "nightly-invoice"
    listed = api.get("/api/v1/jobs", {"dialect": "v1", "namespace": "billing", "name": "nightly-invoice"}).json()
    assert [job["id"] for job in listed["results"]] == [body["id"]]
    assert api.get("/api/v1/jobs", {"namespace": "other"}).json()["results"] == []


def test_pause_resume_trigger_and_executions(api: APIClient) -> None:
    job_id = api.post("/api/v1/jobs", JOB, format="json").json()["id"]
    assert api.post(f"/api/v1/jobs/{job_id}/pause").json()["state"] == "paused"
    assert api.post(f"/api/v1/jobs/{job_id}/resume/").json()["state"] == "scheduled"
    run = api.post(f"/api/v1/jobs/{job_id}/trigger")
    assert run.status_code == 202 and run.json()["reason"] == "manual"
    executions = api.get(f"/api/v1/jobs/{job_id}/executions").json()
    assert executions["count"] == 1 and executions["results"][0]["status"] == "queued"
    assert api.get(f"/api/v1/executions/{run.json()['id']}").json()["job"] == job_id


def test_patch_changes_only_what_is_given(api: APIClient) -> None:
    job_id = api.post("/api/v1/jobs", JOB, format="json").json()["id"]
    patched = api.patch(f"/api/v1/jobs/{job_id}", {"trigger": {"kind": "interval", "every_seconds": 30}}, format="json")
    assert patched.status_code == 200, patched.json()
    assert patched.json()["trigger"]["kind"] == "interval" and patched.json()["callback"]["url"] == "http://svc:8080/run"
    assert Job.objects.get(pk=job_id).periodic_task.interval.every == 30


def test_delete_keeps_executions(api: APIClient) -> None:
    job_id = api.post("/api/v1/jobs", JOB, format="json").json()["id"]
    api.post(f"/api/v1/jobs/{job_id}/trigger")
    assert api.delete(f"/api/v1/jobs/{job_id}").status_code == 204
    assert api.get(f"/api/v1/jobs/{job_id}").status_code == 404
    assert Execution.objects.filter(job__isnull=True).count() == 1


def test_duplicate_name_is_a_conflict(api: APIClient) -> None:
    api.post("/api/v1/jobs", JOB, format="json")
    response = api.post("/api/v1/jobs", JOB, format="json")
    assert response.status_code == 409 and response.json()["field"] == "name"
    assert Job.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"trigger": {"kind": "cron", "cron": "0 0 * * *", "extra": 1}}, "extra"),
        ({"trigger": {"kind": "cron", "cron": "99 * * * *"}}, "cron"),
        ({"trigger": {"kind": "delay", "seconds": -5}}, "seconds"),
        ({"callback": {"kind": "http", "url": "file:///etc/passwd"}}, "url"),
        ({"callback": {"kind": "http", "url": "http://x", "body": "{no", "body_format": "json"}}, "body"),
        ({"retry": {"delays_seconds": ["soon"]}}, "delays_seconds"),
        ({"priority": 42}, "priority"),
        ({"colour": "blue"}, "colour"),
        ({"trigger": "daily"}, "trigger"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(api: APIClient, change: dict, field: str) -> None:
    response = api.post("/api/v1/jobs", JOB | change, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field and response.json()["detail"]
    assert Job.objects.count() == 0


def test_malformed_json_is_a_400(api: APIClient) -> None:
    response = api.post("/api/v1/jobs", data="{not json", content_type="application/json")
    assert response.status_code == 400 and "JSON" in response.json()["detail"]


def test_unknown_job_is_a_404(api: APIClient) -> None:
    assert api.get("/api/v1/jobs/999999").status_code == 404
    assert api.post("/api/v1/jobs/999999/pause").json()["code"] == "not_found"


def test_token_is_required(settings) -> None:
    assert APIClient().get("/api/v1/jobs").status_code == 401
    settings.API_AUTH_REQUIRED = False
    assert APIClient().get("/api/v1/jobs").status_code == 200


def test_openapi_schema_and_swagger_ui(api: APIClient) -> None:
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200 and "/api/v1/jobs" in str(schema.content)
    assert api.get("/api/docs").status_code == 200


def test_every_list_honours_page_size_up_to_500(api: APIClient) -> None:
    job = Job.objects.create(namespace="n", name="paged", trigger={"kind": "now"}, callback={"kind": "http"}, time_zone="UTC")
    now = timezone.now()
    Execution.objects.bulk_create(
        Execution(job=job, scheduled_for=now + timedelta(seconds=n), due_at=now, status="succeeded") for n in range(501)
    )
    for path in ("/api/v1/executions", f"/api/v1/jobs/{job.pk}/executions"):
        assert len(api.get(path).json()["results"]) == 50  # PAGE_SIZE
        two = api.get(path, {"page_size": 2, "page": 3}).json()
        six = api.get(path, {"page_size": 6}).json()
        assert (two["count"], [e["id"] for e in two["results"]]) == (501, [e["id"] for e in six["results"][4:6]])
        assert len(api.get(path, {"page_size": 1000}).json()["results"]) == 500
    assert len(api.get("/api/v1/jobs", {"page_size": 1}).json()["results"]) == 1
