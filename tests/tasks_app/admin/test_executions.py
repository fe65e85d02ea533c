"""The executions console: the record of an attempt, and retrying it through the services."""

from __future__ import annotations

import pytest
from django.test import Client
from django_celery_results.models import TaskResult

from tasks_app import services
from tasks_app.models import Execution
from tests.factories import make_job
from tests.tasks_app.admin.conftest import finished_run

pytestmark = pytest.mark.django_db
EXECUTIONS = "/admin/tasks_app/execution/"


def test_execution_page_shows_request_response_timings_and_links(operator: Client) -> None:
    job = make_job()
    run = finished_run(job, succeeded=False, error="HTTP 500")
    Execution.objects.filter(pk=run.pk).update(task_id="celery-task-1", started_at=run.due_at)
    result = TaskResult.objects.create(task_id="celery-task-1", status="SUCCESS", task_name="tasks_app.tasks.execute")
    page = operator.get(f"{EXECUTIONS}{run.pk}/change/").content.decode()
    assert "HTTP 500" in page and "boom" in page and "text/plain" in page and "http://127.0.0.1:9/unused" in page
    assert f"/admin/tasks_app/job/{job.pk}/change/" in page
    assert f"/admin/django_celery_results/taskresult/{result.pk}/change/" in page
    assert "0 ms" in page  # lateness: started when due
    assert 'id="retry"' in page


def test_list_filters_by_status_and_by_job(operator: Client) -> None:
    first, second = make_job(), make_job()
    failed = finished_run(first, succeeded=False)
    finished_run(second, succeeded=True)
    listed = operator.get(EXECUTIONS, {"status__exact": "failed"}).context["cl"].result_list
    assert [e.pk for e in listed] == [failed.pk]
    listed = operator.get(EXECUTIONS, {"job__id__exact": second.pk}).context["cl"].result_list
    assert [e.job_id for e in listed] == [second.pk]


def test_retry_button_queues_another_attempt(operator: Client) -> None:
    failed = finished_run(make_job(), succeeded=False)
    response = operator.post(f"{EXECUTIONS}{failed.pk}/retry/")
    retry = Execution.objects.exclude(pk=failed.pk).get()
    assert response["Location"].endswith(f"{EXECUTIONS}{retry.pk}/change/")
    assert (retry.attempt, retry.reason, retry.status) == (2, "manual", "queued")


def test_retrying_an_unfinished_attempt_is_refused(operator: Client) -> None:
    queued = services.trigger_job(job=make_job())
    response = operator.post(f"{EXECUTIONS}{queued.pk}/retry/", follow=True)
    assert "only a finished one can be retried" in response.content.decode()
    assert Execution.objects.count() == 1
    assert 'id="retry"' not in operator.get(f"{EXECUTIONS}{queued.pk}/change/").content.decode()


def test_bulk_retry_action(operator: Client) -> None:
    failed = [finished_run(make_job(), succeeded=False) for _ in range(2)]
    operator.post(EXECUTIONS, {"action": "retry", "_selected_action": [str(e.pk) for e in failed]})
    assert Execution.objects.filter(reason="manual", status="queued", attempt=2).count() == 2


def test_executions_are_records_nobody_edits(operator: Client) -> None:
    run = finished_run(make_job(), succeeded=True)
    assert operator.get(f"{EXECUTIONS}add/").status_code == 403
    assert operator.post(f"{EXECUTIONS}{run.pk}/change/", {"status": "failed"}).status_code == 403
    assert operator.post(f"{EXECUTIONS}{run.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Execution.objects.get().status == "succeeded"
