"""pause.do, resumeTask.do, delete.do and trigger.do, by job and group name."""

from __future__ import annotations

import pytest

from tasks_app.models import Execution, Job
from tests.api_app.dispatch.wire import ADD, OK, add_body, cron_task, send

pytestmark = pytest.mark.django_db
REF = {"jobName": "report", "groupName": "billing"}


@pytest.fixture
def task(api) -> Job:
    assert send(api, ADD, add_body(cron_task("0 0 3 * * ?"))).status_code == 200
    return Job.objects.get(dialect="dispatch", namespace="billing", name="report")


@pytest.mark.parametrize("encoding", ("nested", "strings", "form"))
def test_pause_then_resume(api, task: Job, encoding: str) -> None:
    assert send(api, "/dispatchserver/pause.do", REF, encoding).json() == OK
    task.refresh_from_db()
    assert task.state == "paused"
    assert send(api, "/dispatchserver/resumeTask.do", REF, encoding).json() == OK
    task.refresh_from_db()
    assert task.state == "scheduled" and task.next_fire_at is not None


def test_pausing_twice_is_fine(api, task: Job) -> None:
    assert send(api, "/dispatchserver/pause.do", REF).json() == OK
    assert send(api, "/dispatchserver/pause.do", REF).json() == OK


@pytest.mark.parametrize("encoding", ("nested", "form"))
def test_trigger_runs_now_without_changing_the_schedule(api, task: Job, encoding: str) -> None:
    response = send(api, "/dispatchserver/trigger.do", REF, encoding)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["error"] is None
    execution = Execution.objects.get(pk=int(body["resultValue"]))  # the run's task log id
    assert execution.job_id == task.pk and execution.reason == "manual" and execution.status == "queued"
    after = Job.objects.get(pk=task.pk)
    assert (after.next_fire_at, after.fire_count, after.trigger) == (task.next_fire_at, task.fire_count, task.trigger)


def test_trigger_runs_a_paused_task_and_it_stays_paused(api, task: Job) -> None:
    send(api, "/dispatchserver/pause.do", REF)
    assert send(api, "/dispatchserver/trigger.do", REF).status_code == 200
    assert Execution.objects.filter(job=task).count() == 1 and Job.objects.get(pk=task.pk).state == "paused"


def test_delete_keeps_the_log(api, task: Job) -> None:
    send(api, "/dispatchserver/trigger.do", REF)
    assert send(api, "/dispatchserver/delete.do", REF, "form").json() == OK
    assert not Job.objects.filter(pk=task.pk).exists()
    assert Execution.objects.filter(job__isnull=True).count() == 1
    assert send(api, "/dispatchserver/delete.do", REF).status_code == 404


def test_names_are_scoped_by_group(api, task: Job) -> None:
    response = send(api, "/dispatchserver/pause.do", {"jobName": "report", "groupName": "sales"})
    assert response.status_code == 404 and Job.objects.get(pk=task.pk).enabled


def test_a_v1_job_of_the_same_name_is_not_a_dispatch_task(api) -> None:
    from tests.factories import make_job

    make_job(namespace="billing", name="report")
    assert send(api, "/dispatchserver/pause.do", REF).status_code == 404
