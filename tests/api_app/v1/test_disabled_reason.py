"""A job the scheduler disabled (its trigger raised inside beat) says why, until it is resumed."""

from __future__ import annotations

import pytest

from tasks_app.models import Job
from tasks_app.services import claim_due_occurrences
from tests.tasks_app.test_scheduler_isolation import BROKEN_TRIGGERS, FAR, broken_job


@pytest.mark.django_db
def test_the_reason_shows_in_the_api_and_is_cleared_by_a_resume(api) -> None:
    job = broken_job("bad", BROKEN_TRIGGERS["bad-cron"], "http://127.0.0.1:9/")
    claim_due_occurrences()
    body = api.get(f"/api/v1/jobs/{job.pk}").json()
    assert body["state"] == "paused" and "InvalidSchedule" in body["disabled_reason"]
    Job.objects.filter(pk=job.pk).update(trigger={"kind": "at", "at": FAR, "time_zone": "UTC"})
    assert api.post(f"/api/v1/jobs/{job.pk}/resume").status_code == 200
    assert api.get(f"/api/v1/jobs/{job.pk}").json()["disabled_reason"] == ""
