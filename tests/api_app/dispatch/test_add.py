"""add.do in each encoding, with each trigger type, and its replace rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tasks_app import services
from tasks_app.callbacks import build_callback
from tasks_app.models import Job
from tasks_app.triggers import stored_trigger
from tests.api_app.dispatch.wire import ADD, ENCODINGS, OK, add_body, cron_task, http_recall, send, simple_task, socket_recall

pytestmark = pytest.mark.django_db
START = datetime(2031, 3, 1, 8, 0, tzinfo=UTC)
START_MS = int(START.timestamp() * 1000)


def the_job() -> Job:
    return Job.objects.get(dialect="dispatch")


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_cron_trigger_in_each_encoding(api, encoding: str) -> None:
    response = send(api, ADD, add_body(cron_task(startDate=START_MS), http_recall("http://svc:8080/run")), encoding)
    assert response.status_code == 200 and response.json() == OK
    job = the_job()
    assert (job.namespace, job.name, job.priority) == ("billing", "report", 5)
    assert job.trigger["kind"] == "cron" and job.trigger["syntax"] == "quartz" and job.trigger["cron"] == "0 0 10 ? * 6#3"
    assert job.next_fire_at == datetime(2031, 3, 21, 10, 0, tzinfo=UTC)  # the third Friday of March 2031
    assert job.callback == {"kind": "http_recall", "url": "http://svc:8080/run", "data_json": '{"order": 42}', "timeout_seconds": 10.0}


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_repeating_simple_trigger_in_each_encoding(api, encoding: str) -> None:
    task = simple_task({"interval": 5, "intervalType": "MINUTE", "isForever": False, "repeatCount": 2}, startDate=START_MS)
    response = send(api, ADD, add_body(task), encoding)
    assert response.status_code == 200 and response.json() == OK
    job = the_job()
    assert job.trigger["kind"] == "interval" and job.trigger["every_seconds"] == 300
    assert job.trigger["repeat_count"] == 3  # Quartz: repeat 2 = 3 fires
    assert job.next_fire_at == START


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_single_fire_simple_trigger_in_each_encoding(api, encoding: str) -> None:
    task = simple_task({"interval": 0, "intervalType": "NULL", "isForever": False, "repeatCount": 0}, startDate="2031-03-01T16:00:00+08:00")
    response = send(api, ADD, add_body(task), encoding)
    assert response.status_code == 200 and response.json() == OK
    job = the_job()
    assert job.trigger["kind"] == "at" and job.next_fire_at == START
    assert stored_trigger(job.trigger).next_fire(START, 1) is None


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_socket_recall_in_each_encoding(api, encoding: str) -> None:
    response = send(api, ADD, add_body(cron_task(), socket_recall(7000, data="plain text")), encoding)
    assert response.status_code == 200, response.json()
    assert the_job().callback == {"kind": "socket", "host": "127.0.0.1", "port": 7000, "payload": "plain text", "timeout_seconds": 10.0}


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("data", [{"order": 1, "lines": [1, 2]}, '{"order": 1}', "plain text", 17, None])
def test_recall_data_is_kept_as_given(api, encoding: str, data: object) -> None:
    recall = {"recallType": "HTTP", "option": {"url": "http://svc/run"}, "data": data}
    assert send(api, ADD, add_body(cron_task(), recall), encoding).status_code == 200
    assert build_callback(the_job().callback).data == data  # type: ignore[attr-defined]


def test_nested_configs_may_themselves_be_json_text(api) -> None:
    task = simple_task(json.dumps({"interval": 1, "intervalType": "HOUR", "isForever": True, "repeatCount": 0}))  # type: ignore[arg-type]
    recall = {"recallType": "http", "option": json.dumps({"url": "http://svc/run"}), "data": "x"}
    assert send(api, ADD, add_body(task, recall), "strings").status_code == 200
    job = the_job()
    assert job.trigger["every_seconds"] == 3600 and job.trigger["repeat_count"] is None and job.callback["url"] == "http://svc/run"


@pytest.mark.parametrize(
    ("time_config", "every", "repeat_count"),
    [
        ({"interval": 500, "intervalType": "MILLISECOND", "isForever": True}, 0.5, None),
        ({"interval": 3, "intervalType": "SECOND", "repeatCount": 0}, 3, 1),
        ({"interval": 3, "intervalType": "SECOND", "repeatCount": 4}, 3, 5),
        ({"interval": 2, "intervalType": "HOUR", "repeatCount": -1}, 7200, None),
        ({"interval": "2", "intervalType": "minute", "isForever": "false", "repeatCount": "1"}, 120, 2),
    ],
)
def test_interval_units_and_quartz_repeat_counts(api, time_config: dict, every: float, repeat_count: int | None) -> None:
    assert send(api, ADD, add_body(simple_task(time_config, startDate=START_MS))).status_code == 200
    trigger = stored_trigger(the_job().trigger)
    assert trigger.every_seconds == every and trigger.repeat_count == repeat_count  # type: ignore[attr-defined]
    fires, moment = 1, START
    while fires < 10 and (following := trigger.next_fire(moment, fires)) is not None:
        fires, moment = fires + 1, following
    assert fires == (repeat_count or 10)


def test_end_date_stops_a_simple_trigger(api) -> None:
    end_ms = START_MS + 25_000
    task = simple_task({"interval": 10, "intervalType": "SECOND", "isForever": True}, startDate=START_MS, endDate=end_ms)
    assert send(api, ADD, add_body(task)).status_code == 200
    trigger = stored_trigger(the_job().trigger)
    assert trigger.next_fire(START + timedelta(seconds=10), 2) == START + timedelta(seconds=20)
    assert trigger.next_fire(START + timedelta(seconds=20), 3) is None


@pytest.mark.parametrize("given", ["2031-03-01T08:00:00Z", "2031-03-01T16:00:00+08:00", "2031-03-01 08:00:00", str(START_MS), START_MS])
def test_dates_are_epoch_milliseconds_or_iso_8601(api, given: object) -> None:
    task = simple_task({"intervalType": "NULL"}, startDate=given)
    assert send(api, ADD, add_body(task)).status_code == 200
    assert the_job().next_fire_at == START  # a date without an offset is read in TIME_ZONE (UTC here)


def test_start_date_defaults_to_now(api) -> None:
    before = timezone.now()
    assert send(api, ADD, add_body(simple_task({"intervalType": "NULL"}))).status_code == 200
    assert before <= the_job().next_fire_at <= timezone.now()


@pytest.mark.parametrize(("given", "stored"), [(7, 7), (0, 0), (12, 9), (1000, 9), (-3, 0), (None, 5), ("8", 8)])
def test_priority_is_kept_within_0_to_9(api, given: object, stored: int) -> None:
    task = cron_task(priority=given)
    assert send(api, ADD, add_body(task)).status_code == 200
    job = the_job()
    assert job.priority == stored and job.dialect_data["priority"] == (None if given is None else int(given))  # type: ignore[call-overload]


def test_missing_priority_is_quartz_default(api) -> None:
    task = cron_task()
    del task["priority"]
    assert send(api, ADD, add_body(task)).status_code == 200
    assert the_job().priority == 5


def test_existing_task_without_replace_is_a_conflict_and_unchanged(api) -> None:
    assert send(api, ADD, add_body(cron_task("0 0 1 * * ?"))).status_code == 200
    response = send(api, ADD, add_body(cron_task("0 0 2 * * ?"), replace=False), "form")
    assert response.status_code == 409
    body = response.json()
    assert body["success"] is False and body["resultValue"] is None and "taskConfig.jobCode" in body["error"]
    assert the_job().trigger["cron"] == "0 0 1 * * ?"


def test_replace_swaps_trigger_and_recall_together_and_resumes(api) -> None:
    assert send(api, ADD, add_body(cron_task("0 0 1 * * ?"), http_recall("http://old/run"))).status_code == 200
    first = the_job()
    services.pause_job(job=first)
    task = simple_task({"interval": 30, "intervalType": "SECOND", "isForever": True}, name="report", priority=8)
    response = send(api, ADD, add_body(task, socket_recall(9100, data={"a": 1}), replace=True), "form")
    assert response.status_code == 200 and response.json() == OK
    job = the_job()
    assert job.pk == first.pk and job.enabled and job.priority == 8 and job.fire_count == 0
    assert job.trigger["kind"] == "interval" and job.callback["kind"] == "socket" and job.callback["payload_json"] == '{"a": 1}'
    assert job.dialect_data == {"triggerType": "SimpleTrigger", "priority": 8, "recallType": "SOCKET"}


def test_replace_of_a_task_that_does_not_exist_creates_it(api) -> None:
    assert send(api, ADD, add_body(cron_task(), replace=True)).json() == OK
    assert the_job().name == "report"


def test_unknown_fields_of_java_clients_are_ignored(api) -> None:
    task = cron_task(jobClass="com.example.Job", description="x")
    body = add_body(task) | {"tenantId": "t1"}
    assert send(api, ADD, body).status_code == 200


def test_trailing_slash_is_accepted(api) -> None:
    assert send(api, ADD + "/", add_body(cron_task())).status_code == 200


def test_replacing_with_the_same_trigger_keeps_the_schedule(api) -> None:
    started = timezone.now() - timedelta(seconds=30)
    task = simple_task({"interval": 1, "intervalType": "MINUTE", "repeatCount": 2}, startDate=started.isoformat())
    body = add_body(task, replace=True)
    assert send(api, ADD, body).status_code == 200
    services.claim_due_occurrences()
    before = the_job()
    assert before.fire_count == 1
    assert send(api, ADD, body, "form").json() == OK
    after = the_job()
    assert (after.fire_count, after.next_fire_at) == (before.fire_count, before.next_fire_at)
