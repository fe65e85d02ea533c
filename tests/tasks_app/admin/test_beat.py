"""Beat's PeriodicTask admin: a job's row cannot drift from its job."""

from __future__ import annotations

import pytest
from django.test import Client
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from tasks_app.models import Execution, Job
from tests.factories import make_job

pytestmark = pytest.mark.django_db
ROWS = "/admin/django_celery_beat/periodictask/"
CRON = {"kind": "cron", "cron": "0 12 * * *", "time_zone": "Asia/Shanghai"}


@pytest.fixture
def plain_row(db: None) -> PeriodicTask:
    every = IntervalSchedule.objects.create(every=60, period=IntervalSchedule.SECONDS)
    return PeriodicTask.objects.create(name="housekeeping", task="celery.backend_cleanup", interval=every)


def test_a_jobs_row_is_read_only_and_links_to_its_job(operator: Client) -> None:
    job = make_job(trigger=CRON)
    page = operator.get(f"{ROWS}{job.periodic_task_id}/change/").content.decode()
    assert f"/admin/tasks_app/job/{job.pk}/change/" in page and 'name="_save"' not in page
    response = operator.post(f"{ROWS}{job.periodic_task_id}/change/", {"name": "renamed", "task": "x", "enabled": ""})
    assert response.status_code == 403
    job.refresh_from_db()
    assert job.enabled and job.periodic_task.enabled and job.periodic_task.name.startswith(f"job {job.pk}")


def test_a_row_of_no_job_stays_editable(operator: Client, plain_row: PeriodicTask) -> None:
    page = operator.get(f"{ROWS}{plain_row.pk}/change/").content.decode()
    assert 'name="_save"' in page and 'name="interval"' in page  # a raw id, not a dropdown


def test_disable_and_enable_reach_the_job_through_the_services(operator: Client, plain_row: PeriodicTask) -> None:
    job = make_job(trigger=CRON)
    selected = [str(job.periodic_task_id), str(plain_row.pk)]
    operator.post(ROWS, {"action": "disable_tasks", "_selected_action": selected})
    job.refresh_from_db()
    plain_row.refresh_from_db()
    assert not job.enabled and not job.periodic_task.enabled and not plain_row.enabled
    operator.post(ROWS, {"action": "toggle_tasks", "_selected_action": selected})
    job.refresh_from_db()
    plain_row.refresh_from_db()
    assert job.enabled and job.next_fire_at is not None and job.periodic_task.enabled and plain_row.enabled
    operator.post(ROWS, {"action": "run_tasks", "_selected_action": [str(job.periodic_task_id)]})
    assert Execution.objects.get(job=job).reason == "manual"


def test_a_jobs_row_cannot_be_deleted_from_beat(operator: Client, plain_row: PeriodicTask) -> None:
    job = make_job(trigger=CRON)
    operator.post(ROWS, {"action": "delete_selected", "_selected_action": [str(job.periodic_task_id)], "post": "yes"})
    assert PeriodicTask.objects.filter(pk=job.periodic_task_id).exists() and Job.objects.filter(pk=job.pk).exists()
    assert operator.post(f"{ROWS}{job.periodic_task_id}/delete/", {"post": "yes"}).status_code == 403
    operator.post(ROWS, {"action": "delete_selected", "_selected_action": [str(plain_row.pk)], "post": "yes"})
    assert not PeriodicTask.objects.filter(pk=plain_row.pk).exists()


def test_list_has_no_unbounded_filters(operator: Client) -> None:
    make_job(trigger=CRON)
    response = operator.get(ROWS, {"of_job": "yes"})
    assert response.status_code == 200 and len(response.context["cl"].result_list) == 1
    assert response.context["cl"].date_hierarchy is None
    assert [str(f.title).lower() for f in response.context["cl"].filter_specs] == ["enabled", "one-off task", "belongs to a job"]


def test_a_schedule_page_links_to_its_rows_instead_of_listing_them(operator: Client) -> None:
    jobs = [make_job(trigger=CRON) for _ in range(3)]
    crontab = jobs[0].periodic_task.crontab
    page = operator.get(f"/admin/django_celery_beat/crontabschedule/{crontab.pk}/change/").content.decode()
    assert f"?crontab__id__exact={crontab.pk}" in page and "3 periodic task(s) use this schedule" in page
    assert "Periodic Tasks Using This Schedule" not in page  # beat's inline of every row
    listed = operator.get(ROWS, {"crontab__id__exact": crontab.pk}).context["cl"].result_list
    assert len(listed) == 3
    for schedule in ("crontabschedule", "intervalschedule", "clockedschedule", "solarschedule"):
        assert operator.get(f"/admin/django_celery_beat/{schedule}/").status_code == 200
        assert operator.get(f"/admin/django_celery_beat/{schedule}/add/").status_code == 200


def test_rows_of_cron_jobs_with_seconds_or_a_year_show_the_jobs_own_expression(operator: Client) -> None:
    every_ten_seconds = make_job(name="ten-s", trigger={"kind": "cron", "cron": "*/10 * * * * ?", "time_zone": "UTC"})
    in_2031 = make_job(name="y2031", trigger={"kind": "cron", "cron": "0 0 12 1 1 ? 2031", "time_zone": "UTC"})
    daily = make_job(name="daily", trigger=CRON)
    rows = {row.name: row for row in operator.get(ROWS).context["cl"].result_list}
    admin_view = operator.get(ROWS).context["cl"].model_admin

    def shown(job: Job) -> str:
        return admin_view.scheduler(rows[job.periodic_task.name])

    assert shown(every_ten_seconds) == "*/10 * * * * ? (quartz, UTC; seconds: see the job)"
    assert shown(in_2031).startswith("0 0 12 1 1 ? 2031 ") and "* * * * *" not in shown(in_2031)
    assert shown(daily).startswith("0 12 * * *")  # beat's five fields hold it exactly: stock display
    page = operator.get(ROWS).content.decode()
    assert "*/10 * * * * ? (quartz, UTC; seconds: see the job)" in page
    detail = operator.get(f"{ROWS}{every_ten_seconds.periodic_task_id}/change/").content.decode()
    assert "seconds: see the job" in detail
