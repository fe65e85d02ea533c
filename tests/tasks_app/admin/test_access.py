"""The console is for staff: anyone else sees nothing and changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from tasks_app.models import Execution, Job
from tests.factories import make_job
from tests.tasks_app.admin.conftest import finished_run

pytestmark = pytest.mark.django_db


def pages(job: Job, execution: Execution) -> list[str]:
    return [
        "/admin/",
        "/admin/tasks_app/job/",
        "/admin/tasks_app/job/add/",
        f"/admin/tasks_app/job/{job.pk}/change/",
        "/admin/tasks_app/execution/",
        f"/admin/tasks_app/execution/{execution.pk}/change/",
        "/admin/django_celery_beat/periodictask/",
        f"/admin/django_celery_beat/periodictask/{job.periodic_task_id}/change/",
    ]


@pytest.mark.parametrize("who", ["anonymous", "not_staff"])
def test_without_staff_rights_every_page_sends_to_the_login(request: pytest.FixtureRequest, who: str) -> None:
    client = Client() if who == "anonymous" else request.getfixturevalue("not_staff")
    job = make_job(name="secret-job")
    execution = finished_run(job, succeeded=False, error="secret error")
    for url in pages(job, execution):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url
    operations = [f"/admin/tasks_app/job/{job.pk}/run/", f"/admin/tasks_app/job/{job.pk}/pause/"]
    for url in [*operations, f"/admin/tasks_app/execution/{execution.pk}/retry/"]:
        assert client.post(url).status_code == 302
    client.post("/admin/tasks_app/job/add/", {"namespace": "x", "name": "y", "trigger": "{}", "callback": "{}"})
    assert Execution.objects.count() == 1 and Job.objects.get().enabled and Job.objects.count() == 1


def test_staff_without_permissions_sees_no_dashboard_and_may_not_operate(staff_without_permissions: Client) -> None:
    job = make_job(name="secret-job")
    execution = finished_run(job, succeeded=False, error="secret error")
    index = staff_without_permissions.get("/admin/")
    assert index.status_code == 200 and 'id="console-dashboard"' not in index.content.decode()
    assert "secret-job" not in index.content.decode()
    for url in pages(job, execution)[1:]:
        assert staff_without_permissions.get(url).status_code == 403, url
    assert staff_without_permissions.post(f"/admin/tasks_app/job/{job.pk}/run/").status_code == 403
    assert staff_without_permissions.post(f"/admin/tasks_app/execution/{execution.pk}/retry/").status_code == 403
    assert Execution.objects.count() == 1
