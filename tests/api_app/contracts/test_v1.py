"""v1 (DESIGN.md's job, the platform's own API): create the document's example job, read it, list
it filtered and paged, pause it and trigger it; every answer as the OpenAPI document types it."""

from __future__ import annotations

from tests.api_app.contracts.conftest import Client

DESIGN_JOB = {
    "namespace": "billing",
    "name": "nightly-invoice",
    "trigger": {"kind": "cron", "cron": "0 30 2 * * ?", "time_zone": "Asia/Shanghai"},
    "callback": {
        "kind": "http",
        "url": "http://svc:8080/run",
        "method": "POST",
        "headers": {"X-Token": "t"},
        "body": '{"a": 1}',
        "body_format": "json",
        "timeout_seconds": 10,
        "success_regexp": None,
    },  # fmt: skip
    "retry": {"delays_seconds": [2, 4, 8]},
    "enabled": True,
    "priority": 0,
}


def test_the_design_documents_job_round_trips(client: Client) -> None:
    created = client.call("POST", "/api/v1/jobs", json=DESIGN_JOB)
    assert created.status == 201 and created.body["state"] == "scheduled" and created.body["dialect"] == "v1"
    job_id = created.body["id"]
    assert client.call("GET", f"/api/v1/jobs/{job_id}", documented="/api/v1/jobs/{id}").body == created.body
    listed = client.call("GET", "/api/v1/jobs?dialect=v1&namespace=billing&name=nightly-invoice&page_size=500")
    assert [job["id"] for job in listed.body["results"]] == [job_id]
    paused = client.call("POST", f"/api/v1/jobs/{job_id}/pause", documented="/api/v1/jobs/{id}/pause")
    assert paused.body["state"] == "paused"
    triggered = client.call("POST", f"/api/v1/jobs/{job_id}/trigger", documented="/api/v1/jobs/{id}/trigger")
    assert triggered.status == 202 and triggered.body["reason"] == "manual"
    executions = client.call("GET", f"/api/v1/jobs/{job_id}/executions", documented="/api/v1/jobs/{id}/executions")
    assert [execution["id"] for execution in executions.body["results"]] == [triggered.body["id"]]
    missing = client.call("GET", "/api/v1/jobs/999999", documented="/api/v1/jobs/{id}")
    assert (missing.status, missing.body["code"]) == (404, "not_found")
