"""A task's log (its executions, newest first) through /api/v1 and in the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.api_app.dispatch.wire import ADD, add_body, cron_task, send

pytestmark = pytest.mark.django_db
REF = {"jobName": "report", "groupName": "billing"}


@pytest.fixture
def run_ids(api) -> list[int]:
    assert send(api, ADD, add_body(cron_task())).status_code == 200
    return [int(send(api, "/dispatchserver/trigger.do", REF).json()["resultValue"]) for _ in range(3)]


def test_log_through_api_v1(api, run_ids: list[int]) -> None:
    jobs = api.get("/api/v1/jobs", {"dialect": "dispatch", "namespace": "billing", "name": "report"}).json()["results"]
    assert len(jobs) == 1 and jobs[0]["callback"]["kind"] == "http_recall"
    executions = api.get(f"/api/v1/jobs/{jobs[0]['id']}/executions").json()["results"]
    assert [e["id"] for e in executions] == sorted(run_ids, reverse=True)
    assert {e["reason"] for e in executions} == {"manual"}


def test_log_in_the_admin(admin_client, run_ids: list[int]) -> None:
    from tasks_app.models import Job

    job = Job.objects.get(dialect="dispatch")
    page = admin_client.get(reverse("admin:tasks_app_job_change", args=[job.pk])).content.decode()
    positions = [page.index(reverse("admin:tasks_app_execution_change", args=[pk])) for pk in sorted(run_ids, reverse=True)]
    assert positions == sorted(positions)
