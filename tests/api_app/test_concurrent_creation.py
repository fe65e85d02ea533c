"""Many clients creating one-shot jobs due in the same second at once, through v1 and the crontab
dialect, each thread on its own database connection (as gunicorn's threads are): every request
gets a correct answer, never an internal error. Beat's schedule tables have no unique key, so
this is where a get_or_create on them raced."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django_celery_beat.models import ClockedSchedule, PeriodicTask
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tasks_app.models import Job
from tests.factories import make_service

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 8
# PostgreSQL runs the creates side by side; SQLite serialises every write, so fewer make the point.
CREATES = 250 if connection.vendor == "postgresql" else 25
# Every tenth create of each client uses a name all clients use: one wins, the others conflict.
SHARED_EVERY = 10
URL = "http://127.0.0.1:9/unused"


def _staff_token(username: str) -> str:
    """A token that may act in every namespace (as the platform's own operators' do)."""
    user = get_user_model().objects.create_user(username=username, password="pw-for-tests", is_staff=True)
    return str(Token.objects.create(user=user).key)


def _name(client: int, index: int) -> str:
    return f"shared-{index}" if index % SHARED_EVERY == 0 else f"c{client}-{index}"


def _v1(api: APIClient, name: str, due: int) -> str:
    moment = datetime.fromtimestamp(due, UTC).isoformat()
    body = {"namespace": "race", "name": name, "trigger": {"kind": "at", "at": moment}, "callback": {"kind": "http", "url": URL}}
    response = api.post("/api/v1/jobs", body, format="json")
    return {201: "created", 409: "conflict"}.get(response.status_code, f"{response.status_code} {response.content!r}")


def _crontab(api: APIClient, name: str, due: int) -> str:
    task = {"name": name, "module": "race", "type": 1, "start_time": due, "url": URL, "method": "post"}
    response = api.post("/crontab/add_task", {"task_list": [task]}, format="json")
    if response.status_code != 200:
        return f"{response.status_code} {response.content!r}"
    err = response.json()["data"]["task_result"][0]["err"]
    return "created" if err == "" else "conflict" if "already" in err else err


def _client_run(client: int, token: str, due: int) -> list[tuple[str, str]]:
    """(dialect/name, outcome) of each create; even clients speak v1, odd ones crontab."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    create = _v1 if client % 2 == 0 else _crontab
    try:
        return [(f"{create.__name__}/{_name(client, i)}", create(api, _name(client, i), due)) for i in range(CREATES)]
    finally:
        connection.close()  # this thread's own connection


def test_concurrent_creates_due_the_same_second_all_get_correct_answers() -> None:
    token = _staff_token("racer")
    due = int(time.time()) + 3600
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = [answer for run in pool.map(lambda c: _client_run(c, token, due), range(CLIENTS)) for answer in run]
    unexpected = [answer for answer in answers if answer[1] not in ("created", "conflict")]
    assert unexpected == []
    assert all(outcome == "created" for name, outcome in answers if "/shared-" not in name)
    shared = {name for name, _ in answers if "/shared-" in name}
    winners = [name for name, outcome in answers if outcome == "created" and name in shared]
    assert sorted(winners) == sorted(shared)  # each shared name created exactly once
    created = sum(outcome == "created" for _, outcome in answers)
    assert Job.objects.count() == created == PeriodicTask.objects.filter(job__isnull=False).count()
    assert ClockedSchedule.objects.filter(clocked_time=datetime.fromtimestamp(due, UTC)).exists()


def _hangfire_run(client: int, token: str, requests: int) -> list[tuple[str, str, bool]]:
    """(xRequestId, job id, duplicate) of each answer; every client sends the same ids."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    answers = []
    try:
        for index in range(requests):
            body = {"serviceId": 2001, "messageId": 1, "delay": 3600, "xRequestId": f"order-{index}"}
            response = api.post("/api/hangfire/schedulesecond", body, format="json")
            data = response.json()["data"] if response.status_code == 200 else {"jobId": f"{response.status_code}", "duplicate": None}
            answers.append((f"order-{index}", data["jobId"], data["duplicate"]))
        return answers
    finally:
        connection.close()


def test_concurrent_hangfire_requests_with_the_same_request_id_make_one_job_each() -> None:
    make_service(service_id=2001, consumer_path="/api/hangfire/excute")
    token = _staff_token("producer")
    requests = CREATES // 10
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = [answer for run in pool.map(lambda c: _hangfire_run(c, token, requests), range(CLIENTS)) for answer in run]
    by_request: dict[str, set[str]] = {}
    for request_id, job_id, _ in answers:
        by_request.setdefault(request_id, set()).add(job_id)
    assert all(len(job_ids) == 1 for job_ids in by_request.values()), by_request  # everyone got the same job
    assert sum(duplicate is False for _, _, duplicate in answers) == requests  # made once, a duplicate to the rest
    assert Job.objects.filter(dialect="hangfire").count() == requests


def _change_run(client: int, token: str, job_ids: list[int], rounds: int) -> list[int]:
    """Statuses of pauses, resumes, changes, manual runs and deletes of the same jobs."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    statuses = []
    try:
        for index in range(rounds):
            job = job_ids[(client + index) % len(job_ids)]
            action = (client + index) % 5
            if action == 4:  # deletes in the second half, so the jobs are changed a while first
                response = api.delete(f"/api/v1/jobs/{job}") if index > rounds // 2 else api.post(f"/api/v1/jobs/{job}/pause")
            elif action == 3:
                response = api.patch(f"/api/v1/jobs/{job}", {"priority": index % 10}, format="json")
            else:
                response = api.post(f"/api/v1/jobs/{job}/{('pause', 'resume', 'trigger')[action]}")
            statuses.append(response.status_code)
        return statuses
    finally:
        connection.close()


def test_concurrent_changes_and_deletes_of_the_same_jobs_never_fail_inside() -> None:
    token = _staff_token("changer")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    body = {"namespace": "race", "trigger": {"kind": "interval", "every_seconds": 60}, "callback": {"kind": "http", "url": URL}}
    job_ids = [api.post("/api/v1/jobs", body | {"name": f"j{n}"}, format="json").json()["id"] for n in range(4)]
    with ThreadPoolExecutor(CLIENTS) as pool:
        statuses = Counter(s for run in pool.map(lambda c: _change_run(c, token, job_ids, CREATES // 5), range(CLIENTS)) for s in run)
    assert set(statuses) <= {200, 202, 204, 404}, statuses


def test_a_manual_run_of_a_job_deleted_meanwhile_is_not_found() -> None:
    """The window the concurrent test above can hit: the view read the job, a delete removed it."""
    from tasks_app import services
    from tasks_app.exceptions import NotFound

    job = services.create_job(namespace="race", name="gone", trigger={"kind": "interval", "every_seconds": 60}, callback={"url": URL})
    Job.objects.filter(pk=job.pk).delete()
    with pytest.raises(NotFound):
        services.trigger_job(job=job)
