"""The jobs console: list, filters, the job page, and every change through the services."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django_celery_beat.models import PeriodicTask

from tasks_app.models import Execution, Job
from tests.factories import make_job
from tests.tasks_app.admin.conftest import finished_run

pytestmark = pytest.mark.django_db
JOBS = "/admin/tasks_app/job/"
CRON = {"kind": "cron", "cron": "0 12 * * *", "time_zone": "Asia/Shanghai"}


def form(**changes: Any) -> dict[str, Any]:
    """The add/change form as a browser posts it."""
    values = {
        "namespace": "billing", "name": "nightly", "trigger": CRON,
        "callback": {"kind": "http", "url": "http://127.0.0.1:9/run", "method": "POST"}, "retry": {"delays_seconds": [2]},
        "enabled": "on", "priority": "0", "misfire_policy": "fire_once", "misfire_grace_seconds": "60",
        "misfire_catchup_limit": "10", "overlap_policy": "allow",
    } | changes  # fmt: skip
    return {k: json.dumps(v) if isinstance(v, dict) else v for k, v in values.items() if v is not None}


def names(response: Any) -> set[str]:
    return {job.name for job in response.context["cl"].result_list}


def test_list_shows_trigger_state_next_fire_and_last_outcome(operator: Client) -> None:
    job = make_job(trigger=CRON, name="daily")
    finished_run(job, succeeded=False, error="HTTP 500")
    page = operator.get(JOBS).content.decode()
    assert "every day at 12:00 Asia/Shanghai" in page
    assert "scheduled" in page and "failed" in page and "Asia/Shanghai" in page


def test_filters_by_dialect_namespace_state_and_last_outcome(operator: Client) -> None:
    failing = make_job(namespace="billing", name="failing", trigger=CRON)
    passing = make_job(namespace="billing", name="passing", trigger=CRON)
    make_job(namespace="mail", name="paused", trigger=CRON, enabled=False)
    make_job(namespace="mail", name="never", trigger={"kind": "at", "at": "2020-01-01T00:00:00Z"})
    finished_run(passing, succeeded=False)
    finished_run(passing, succeeded=True)
    finished_run(failing, succeeded=True)
    finished_run(failing, succeeded=False)
    assert names(operator.get(JOBS, {"namespace": "billing"})) == {"failing", "passing"}
    assert names(operator.get(JOBS, {"state": "paused"})) == {"paused"}
    assert names(operator.get(JOBS, {"state": "scheduled", "namespace": "mail"})) == {"never"}
    assert names(operator.get(JOBS, {"outcome": "failed"})) == {"failing"}
    assert names(operator.get(JOBS, {"outcome": "succeeded"})) == {"passing"}
    assert names(operator.get(JOBS, {"outcome": "skipped"})) == set()
    assert names(operator.get(JOBS, {"dialect__exact": "xtimer"})) == set()
    assert names(operator.get(JOBS, {"q": "fail"})) == {"failing"}


def test_job_page_shows_next_five_fires_callback_policies_and_latest_executions(operator: Client) -> None:
    job = make_job(trigger=CRON, retry={"delays_seconds": [2, 4]})
    run = finished_run(job, succeeded=False, error="HTTP 500")
    page = operator.get(f"{JOBS}{job.pk}/change/").content.decode()
    assert "every day at 12:00 Asia/Shanghai" in page and page.count(" 12:00:00 Asia/Shanghai") == 5
    assert "POST http://127.0.0.1:9/unused" in page and "2 retries, after 2 seconds, 4 seconds" in page
    assert "fire once now when more than 1 minute late" in page
    assert f"/admin/tasks_app/execution/{run.pk}/change/" in page and "HTTP 500" in page


def test_adding_a_job_goes_through_the_services(operator: Client) -> None:
    response = operator.post(f"{JOBS}add/", form())
    assert response.status_code == 302, response.context["adminform"].form.errors
    job = Job.objects.get(name="nightly")
    assert job.dialect == "v1" and job.next_fire_at is not None and job.periodic_task.crontab is not None
    assert job.trigger["syntax"] == "unix"  # stored normalised by the service


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"trigger": {"kind": "cron", "cron": "61 * * * *"}}, "trigger", "invalid cron expression"),
        ({"trigger": {"kind": "cron", "cron": "0 12 * * *", "time_zone": "Mars/Base"}}, "trigger", "unknown time zone"),
        ({"callback": {"kind": "http", "url": "ftp://example.com/x"}}, "callback", "must be an http(s) URL"),
        ({"callback": "{not json"}, "callback", "Enter a valid JSON"),
        ({"retry": {"delays_seconds": "soon"}}, "retry", "must be a list of seconds"),
        ({"priority": "12"}, "priority", "from 0 to 9"),
    ],
)
def test_invalid_input_shows_the_fields_error_and_saves_nothing(operator: Client, changes: dict, field: str, message: str) -> None:
    response = operator.post(f"{JOBS}add/", form(**changes))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors.get(field, [])), errors
    assert not Job.objects.exists() and not PeriodicTask.objects.exists()


def test_a_name_taken_in_the_namespace_is_refused_on_the_name_field(operator: Client) -> None:
    make_job(namespace="billing", name="nightly")
    response = operator.post(f"{JOBS}add/", form())
    assert "already exists" in " ".join(response.context["adminform"].form.errors["name"])
    assert Job.objects.count() == 1 and PeriodicTask.objects.count() == 1


def test_changing_a_job_updates_it_through_the_services(operator: Client) -> None:
    job = make_job(namespace="billing", name="nightly", trigger=CRON)
    response = operator.post(f"{JOBS}{job.pk}/change/", form(callback={"kind": "http", "url": "http://127.0.0.1:9/fixed"}))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.callback["url"] == "http://127.0.0.1:9/fixed" and job.callback["timeout_seconds"] == 10.0


def test_a_refused_change_leaves_the_job_as_it_was(operator: Client) -> None:
    job = make_job(namespace="billing", name="nightly", trigger=CRON)
    response = operator.post(f"{JOBS}{job.pk}/change/", form(priority="12", callback={"kind": "http", "url": "http://127.0.0.1:9/new"}))
    assert "from 0 to 9" in " ".join(response.context["adminform"].form.errors["priority"])
    job.refresh_from_db()
    assert job.priority == 0 and job.callback["url"] == "http://127.0.0.1:9/unused"


def test_buttons_run_pause_and_resume(operator: Client) -> None:
    job = make_job(trigger=CRON)
    assert operator.post(f"{JOBS}{job.pk}/run/").status_code == 302
    assert Execution.objects.get(job=job).reason == "manual"
    operator.post(f"{JOBS}{job.pk}/pause/")
    job.refresh_from_db()
    assert not job.enabled and not job.periodic_task.enabled
    operator.post(f"{JOBS}{job.pk}/resume/")
    job.refresh_from_db()
    assert job.enabled and job.periodic_task.enabled
    assert operator.get(f"{JOBS}{job.pk}/run/").status_code == 405
    assert operator.post(f"{JOBS}999999/run/").status_code == 404


def test_bulk_actions_go_through_the_services(operator: Client) -> None:
    jobs = [make_job(trigger=CRON) for _ in range(3)]
    selected = [str(job.pk) for job in jobs[:2]]
    operator.post(JOBS, {"action": "pause", "_selected_action": selected})
    assert list(Job.objects.filter(enabled=False).order_by("pk")) == jobs[:2]
    operator.post(JOBS, {"action": "run_now", "_selected_action": selected})
    assert Execution.objects.filter(reason="manual").count() == 2
    confirm = operator.post(JOBS, {"action": "delete_selected", "_selected_action": selected})
    assert confirm.status_code == 200  # Django's confirmation page
    operator.post(JOBS, {"action": "delete_selected", "_selected_action": selected, "post": "yes"})
    assert list(Job.objects.all()) == jobs[2:] and PeriodicTask.objects.count() == 1
    assert Execution.objects.filter(job__isnull=True).count() == 2  # kept, as delete_job keeps them


def test_deleting_from_the_job_page_uses_the_services(operator: Client) -> None:
    job = make_job(trigger=CRON)
    operator.post(f"{JOBS}{job.pk}/delete/", {"post": "yes"})
    assert not Job.objects.exists() and not PeriodicTask.objects.exists()
