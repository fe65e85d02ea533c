"""The timer API through the wire: create (both notifyHTTPParam forms), read, enable/unable, page,
search, delete; and what a timer becomes in the domain."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django_celery_beat.models import PeriodicTask
from rest_framework.test import APIClient

from tasks_app import services
from tasks_app.models import Execution, Job
from tests.api_app.xtimer.conftest import XtimerClient, seed_timer

pytestmark = pytest.mark.django_db

APP = "est ad amet tempor proident"
URL = "http://127.0.0.1:9/notify"
NOTIFY = {"url": URL, "method": "POST", "header": {"X-Trace": "abc"}, "body": '{"n": 1}'}


def test_seed_example_creates_a_disabled_timer_read_back_as_given(xtimer: XtimerClient) -> None:
    created = xtimer.create(seed_timer(URL))
    assert created.status == 200 and created.body == {"code": 0, "message": "ok", "data": {"timerId": created.data["timerId"]}}
    timer = xtimer.timer(APP, created.data["timerId"]).data
    assert set(timer) == {"timerId", "app", "name", "status", "cron", "notifyHTTPParam", "createTime"}
    assert (timer["app"], timer["name"], timer["status"], timer["cron"]) == (APP, "test1", 1, "* * * * * *")
    assert timer["notifyHTTPParam"] == seed_timer(URL)["notifyHTTPParam"]  # JSON text, as written
    assert abs(timer["createTime"] - datetime.now(UTC).timestamp() * 1000) < 60_000
    job = Job.objects.get(pk=timer["timerId"])
    assert (job.dialect, job.namespace, job.name, job.enabled, job.next_fire_at) == ("xtimer", APP, "test1", False, None)


def test_object_form_with_status_2_is_enabled_and_maps_onto_an_http_callback(xtimer: XtimerClient) -> None:
    timer_id = xtimer.created_id({"app": "a", "name": "n", "status": 2, "cron": "0 */5 * * * *", "notifyHTTPParam": NOTIFY})
    assert xtimer.timer("a", timer_id).data["notifyHTTPParam"] == NOTIFY | {"header": {"X-Trace": "abc"}}
    job = Job.objects.get(pk=timer_id)
    assert job.enabled and job.next_fire_at is not None and job.periodic_task.enabled
    assert job.trigger["syntax"] == "unix" and job.trigger["time_zone"] == "UTC"
    assert job.callback | {"headers": {}} == {
        "kind": "http", "url": URL, "method": "POST", "headers": {}, "body": '{"n": 1}', "body_format": "raw",
        "timeout_seconds": 5.0, "success_regexp": None,
    }  # fmt: skip
    assert job.retry == {"delays_seconds": []}


def test_notify_text_is_read_back_as_text_and_follows_a_change_of_the_callback(xtimer: XtimerClient) -> None:
    text = json.dumps({"url": URL, "method": "get", "header": {"B": "2", "A": "1"}})
    timer_id = xtimer.created_id({"app": "a", "name": "n", "cron": "0 */5 * * * *", "notifyHTTPParam": text})
    assert xtimer.timer("a", timer_id).data["notifyHTTPParam"] == text  # the very text, key order and case kept
    job = Job.objects.get(pk=timer_id)
    services.update_job(job=job, callback=job.callback | {"url": "http://127.0.0.1:9/moved"})
    changed = xtimer.timer("a", timer_id).data["notifyHTTPParam"]
    assert isinstance(changed, str) and json.loads(changed)["url"] == "http://127.0.0.1:9/moved"
    assert [timer["notifyHTTPParam"] for timer in xtimer.call("GET", "getTimers", query={"app": "a"}).data["timers"]] == [changed]


def test_create_timer_alias_and_trailing_slash(xtimer: XtimerClient) -> None:
    assert xtimer.create(seed_timer(URL), path="createTimer").code == 0
    assert xtimer.create(seed_timer(URL, name="test2"), path="creatTimer/").code == 0
    assert xtimer.call("GET", "getTimers/", query={"app": APP}).data["total"] == 2


def test_extensions_time_zone_retry_and_timeout(xtimer: XtimerClient) -> None:
    timer = {"app": "a", "name": "n", "cron": "0 0 9 * * *", "notifyHTTPParam": NOTIFY, "status": 2}
    timer_id = xtimer.created_id(timer | {"timeZone": "Asia/Shanghai", "retry": [500, 2000], "timeoutMs": 2500})
    job = Job.objects.get(pk=timer_id)
    assert job.retry == {"delays_seconds": [0.5, 2.0]} and job.callback["timeout_seconds"] == 2.5
    assert job.trigger["time_zone"] == "Asia/Shanghai"
    # 09:00 in Shanghai is 01:00 UTC.
    assert (job.next_fire_at.astimezone(UTC).hour, job.next_fire_at.minute, job.next_fire_at.second) == (1, 0, 0)


@pytest.mark.parametrize(
    ("cron", "weekday"),
    [
        ("30 2 * * 0", 6),  # 5 fields, Go/Unix numbering: 0 is Sunday
        ("0 30 2 * * 0", 6),  # 6 fields, seconds first
        ("0 30 2 * * 1 2031", 0),  # 7 fields, year last: Mondays of 2031
        ("0 30 2 ? * MON", 0),
    ],
)
def test_cron_has_5_6_or_7_fields_with_go_numbering(xtimer: XtimerClient, cron: str, weekday: int) -> None:
    timer_id = xtimer.created_id({"app": "a", "name": cron, "cron": cron, "status": 2, "notifyHTTPParam": NOTIFY})
    next_fire = Job.objects.get(pk=timer_id).next_fire_at
    assert next_fire.weekday() == weekday and (next_fire.hour, next_fire.minute) == (2, 30)
    assert xtimer.timer("a", timer_id).data["cron"] == cron
    if cron.endswith("2031"):
        assert next_fire.year == 2031


def test_enable_and_unable_are_idempotent_with_ids_in_query_or_body(xtimer: XtimerClient) -> None:
    timer_id = xtimer.created_id(seed_timer(URL))
    for _ in range(2):
        assert xtimer.call("GET", "enableTimer", query={"app": APP, "timerId": timer_id}).body == {"code": 0, "message": "ok"}
    assert xtimer.timer(APP, timer_id).data["status"] == 2 and Job.objects.get(pk=timer_id).next_fire_at is not None
    for _ in range(2):
        assert xtimer.call("POST", "unableTimer", body={"app": APP, "id": timer_id}).code == 0
    assert xtimer.timer(APP, timer_id).data["status"] == 1
    assert xtimer.call("GET", "enableTimer", body={"app": APP, "id": str(timer_id)}).code == 0
    assert Job.objects.get(pk=timer_id).enabled and Job.objects.get(pk=timer_id).periodic_task.enabled


def test_get_timers_pages_from_1_newest_first_with_total(xtimer: XtimerClient) -> None:
    ids = [xtimer.created_id(seed_timer(URL, name=f"timer-{n:02}")) for n in range(12)]
    xtimer.created_id(seed_timer(URL, app="another app"))
    first = xtimer.call("GET", "getTimers", query={"app": APP}).data
    assert first["total"] == 12 and [t["timerId"] for t in first["timers"]] == ids[::-1][:10]
    second = xtimer.call("GET", "getTimers", query={"app": APP, "pageIndex": 2}).data
    assert [t["timerId"] for t in second["timers"]] == ids[1::-1]
    third = xtimer.call("GET", "getTimers", query={"app": APP, "pageIndex": 3, "pageSize": 5}).data
    assert third["total"] == 12 and [t["timerId"] for t in third["timers"]] == ids[1::-1]
    assert xtimer.call("GET", "getTimers", query={"app": APP, "pageIndex": 9}).data == {"total": 12, "timers": []}


def test_get_timers_by_name_is_fuzzy_within_the_app(xtimer: XtimerClient) -> None:
    for name in ("Nightly-Report", "nightly-cleanup", "hourly-ping"):
        xtimer.created_id(seed_timer(URL, name=name))
    xtimer.created_id(seed_timer(URL, app="other", name="nightly-elsewhere"))
    found = xtimer.call("GET", "getTimersByName", query={"app": APP, "name": "NIGHTLY", "pageSize": 1}).data
    assert found["total"] == 2 and [t["name"] for t in found["timers"]] == ["nightly-cleanup"]
    assert xtimer.call("GET", "getTimersByName", query={"app": APP, "name": "weekly"}).data == {"total": 0, "timers": []}


def test_del_timer_removes_timer_and_schedule_but_keeps_executions(xtimer: XtimerClient) -> None:
    timer_id = xtimer.created_id(seed_timer(URL, status=2))
    services.trigger_job(job=Job.objects.get(pk=timer_id))
    deleted = xtimer.call("DELETE", "delTimer", body={"app": APP, "timerId": timer_id})
    assert deleted.body == {"code": 0, "message": "ok"}
    assert not Job.objects.filter(pk=timer_id).exists() and not PeriodicTask.objects.filter(name__startswith=f"job {timer_id}:").exists()
    assert Execution.objects.filter(job__isnull=True).count() == 1
    gone = xtimer.timer(APP, timer_id)
    assert (gone.status, gone.code) == (404, 9024) and str(timer_id) in gone.body["message"]
    assert xtimer.call("DELETE", "delTimer", query={"app": APP, "id": timer_id}).status == 404


def test_get_tasks_shapes_a_queued_task(xtimer: XtimerClient) -> None:
    timer_id = xtimer.created_id(seed_timer(URL))
    execution = services.trigger_job(job=Job.objects.get(pk=timer_id))
    tasks = xtimer.tasks(APP, timer_id).data
    assert tasks == {
        "total": 1,
        "tasks": [{"taskId": execution.pk, "timerId": timer_id, "runTime": round(execution.scheduled_for.timestamp() * 1000),
                   "status": 0, "output": "", "costTime": None}],
    }  # fmt: skip


def test_a_timer_of_another_app_is_not_found_and_left_alone(xtimer: XtimerClient) -> None:
    timer_id = xtimer.created_id(seed_timer(URL))
    answers = [
        xtimer.timer("other", timer_id),
        xtimer.enable("other", timer_id),
        xtimer.unable("other", timer_id),
        xtimer.call("DELETE", "delTimer", query={"app": "other", "timerId": timer_id}),
        xtimer.tasks("other", timer_id),
    ]
    assert [(a.status, a.code) for a in answers] == [(404, 9024), (404, 9023), (404, 9023), (404, 9024), (404, 9024)]
    assert all("other" in a.body["message"] for a in answers)
    assert not Job.objects.get(pk=timer_id).enabled


def test_token_is_required(settings) -> None:
    answer = XtimerClient(APIClient()).call("GET", "getTimers", query={"app": APP})
    assert (answer.status, answer.code) == (401, 9025)
    settings.API_AUTH_REQUIRED = False
    assert XtimerClient(APIClient()).call("GET", "getTimers", query={"app": APP}).code == 0
