"""add_task: batches of every type, each task with its own result, and every bad input."""

from __future__ import annotations

from typing import Any

import pytest
from django_celery_beat.models import PeriodicTask
from rest_framework.test import APIClient

from tasks_app.models import Job
from tests.api_app.crontab.conftest import Crontab, soon, task


def test_a_batch_of_every_type_is_created_as_crontab_jobs(crontab: Crontab) -> None:
    tasks = [
        task("single", type=1, start_time=soon(60)),
        task("interval", type=2, start_time="@every 1m30s"),
        task("interval-seconds", type=2, start_time=45),
        task("hourly", type=3, start_time="0 15 * * * *"),
        task("daily", type=4, start_time="@daily"),
        task("monthly", type=5, start_time="0 0 8 15 * *"),
        task("yearly", type=6, start_time="0 0 0 1 6 *"),
        task("weekly", type=7, start_time="0 0 9 * * 1"),
    ]
    results = crontab.add(*tasks)
    assert [r["err"] for r in results] == [""] * len(tasks)
    assert [r["name"] for r in results] == [t["name"] for t in tasks]
    jobs = {str(job.pk): job for job in Job.objects.all()}
    kinds = [jobs[r["task_id"]].trigger["kind"] for r in results]
    assert kinds == ["at", "interval", "interval", "cron", "cron", "cron", "cron", "cron"]
    assert all(job.dialect == "crontab" and job.namespace == "billing" and job.next_fire_at for job in jobs.values())
    assert PeriodicTask.objects.filter(job__in=jobs.values()).count() == len(tasks)


def test_fields_map_onto_the_job(crontab: Crontab) -> None:
    task_id = crontab.added(
        name="charge", module=2, type=3, start_time="@hourly", url="http://svc:8080/charge", method="POST",
        body='{"a": 1}', resp_regexp='"code":\\s*0', redo_param="2 4 8", enable=2,
    )  # fmt: skip
    job = Job.objects.get(pk=task_id)
    assert (job.dialect, job.namespace, job.name, job.enabled) == ("crontab", "2", "charge", False)
    assert job.trigger["cron"] == "0 0 * * * *" and job.trigger["syntax"] == "unix"
    assert job.callback["url"] == "http://svc:8080/charge" and job.callback["method"] == "POST"
    assert job.callback["body"] == '{"a": 1}' and job.callback["headers"] == {"Content-Type": "application/json"}
    assert job.callback["success_regexp"] == '"code":\\s*0'
    assert job.retry == {"delays_seconds": [2, 4, 8]}
    assert job.dialect_data["start_time"] == "@hourly" and job.dialect_data["type"] == 3


def test_form_body_and_rpc_callbacks(crontab: Crontab) -> None:
    form = crontab.added(**task("form", method="get", body='{"a": "1", "b": 2}', body_type=2))
    rpc = crontab.added(**task("rpc", method="rpc", url="10.0.0.5:1234/Arith.Multiply", body='{"A": 6, "B": 7}', resp_regexp="^42$"))
    callback = Job.objects.get(pk=form).callback
    assert (callback["method"], callback["body_format"], callback["body"]) == ("GET", "form", '{"a": "1", "b": 2}')
    callback = Job.objects.get(pk=rpc).callback
    assert callback == {
        "kind": "rpc", "address": "10.0.0.5:1234", "method": "Arith.Multiply", "params": {"A": 6, "B": 7},
        "timeout_seconds": 10.0, "success_regexp": "^42$",
    }  # fmt: skip


def test_module_defaults_and_the_body_may_be_an_object(crontab: Crontab) -> None:
    bare = task("bare", body={"x": [1, 2]})
    del bare["module"], bare["enable"]
    job = Job.objects.get(pk=crontab.added(**bare))
    assert job.namespace == "default" and job.enabled and job.callback["body"] == '{"x": [1, 2]}'


def test_valid_tasks_are_created_when_others_in_the_batch_fail(crontab: Crontab) -> None:
    answer = crontab.post("add_task", {"task_list": [task("good-1"), task("bad", type=9), task("good-2"), "not a task"]})
    assert answer["state"] == 0 and answer["msg"] == "2 of 4 tasks failed; see each task's err"
    results = answer["data"]["task_result"]
    assert [bool(r["err"]) for r in results] == [False, True, False, True]
    assert results[1] == {"task_id": "", "name": "bad", "err": results[1]["err"]}
    assert set(Job.objects.values_list("name", flat=True)) == {"good-1", "good-2"}


def test_names_are_unique_across_modules(crontab: Crontab) -> None:
    results = crontab.add(task("same", module="a"), task("same", module="b"), task("same", module="a"))
    first = results[0]["task_id"]
    assert results[0]["err"] == ""
    for result in results[1:]:
        assert result["err"].startswith("invalid parameter (1): name: a task named 'same' already exists")
        assert f"task_id {first}" in result["err"]
    assert Job.objects.count() == 1


def test_answers_with_and_without_a_trailing_slash(crontab: Crontab, api: APIClient) -> None:
    response = api.post("/crontab/add_task/", {"task_list": [task("slash")]}, format="json")
    assert response.status_code == 200 and response.json()["data"]["task_result"][0]["err"] == ""


@pytest.mark.parametrize(
    ("content_type"),
    ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-8"],
)
def test_the_body_is_json_whatever_the_content_type_says(crontab: Crontab, content_type: str) -> None:
    answer = crontab.post("add_task", {"task_list": [task("typed")]}, content_type=content_type)
    assert answer["state"] == 0 and answer["data"]["task_result"][0]["err"] == ""


BAD_TASKS: list[tuple[dict[str, Any], str]] = [
    ({"name": None}, "invalid parameter (1): name: "),
    ({"name": ""}, "invalid parameter (1): name: "),
    ({"name": "x" * 201}, "invalid parameter (1): name: "),
    ({"enable": 3}, "invalid parameter (1): enable: must be 1 (on) or 2 (off)"),
    ({"enable": True}, "invalid parameter (1): enable: "),
    ({"module": {"a": 1}}, "invalid parameter (1): module: "),
    ({"type": 0}, "bad type (2): type: must be one of 1 single, 2 interval"),
    ({"type": 8}, "bad type (2): type: "),
    ({"type": "daily"}, "bad type (2): type: "),
    ({"type": None}, "bad type (2): type: "),
    ({"start_time": 1_500_000_000, "type": 1}, "bad start_time (3): start_time: 1500000000 is "),
    ({"start_time": "0 61 * * * *"}, "bad start_time (3): start_time: '0 61 * * * *': invalid cron"),
    ({"start_time": "0 30 2 * *  * * *"}, "bad start_time (3): start_time: a cron needs 6 fields"),
    ({"start_time": "@sometimes"}, "bad start_time (3): start_time: unknown descriptor"),
    ({"start_time": "@every 5 minutes", "type": 2}, "bad start_time (3): start_time: "),
    ({"start_time": "0 0 * * * *"}, "bad start_time (3): start_time: '0 0 * * * *' repeats every hour: it fits type 3"),
    ({"start_time": ["0 30 2 * * *"]}, "bad start_time (3): start_time: must be"),
    ({"start_time": ""}, "bad start_time (3): start_time: "),
    ({"url": ""}, "bad callback (4): url: "),
    ({"url": "ftp://svc/x"}, "bad callback (4): url: must be an http(s) URL"),
    ({"method": "put"}, "bad callback (4): method: must be one of post, get, rpc"),
    ({"method": "rpc", "url": "http://127.0.0.1:1234/Arith.Multiply"}, "bad callback (4): url: must be host:port/Service.Method"),
    ({"method": "rpc", "url": "127.0.0.1/Arith.Multiply"}, "bad callback (4): url: must be host:port"),
    ({"method": "rpc", "url": "127.0.0.1:99999/Arith.Multiply"}, "bad callback (4): url: must be host:port"),
    ({"method": "rpc", "url": "127.0.0.1:1234/Multiply"}, "bad callback (4): url: must be Service.Method"),
    ({"method": "rpc", "url": "127.0.0.1:1234"}, "bad callback (4): url: must be host:port/Service.Method"),
    ({"method": "rpc", "url": "127.0.0.1:1234/A.B/C"}, "bad callback (4): url: "),
    ({"method": "rpc", "url": "127.0.0.1:1234/A.B", "body": "a=1"}, "bad callback (4): body: must be JSON for method rpc"),
    ({"resp_regexp": "*"}, "bad callback (4): resp_regexp: invalid regular expression"),
    ({"resp_regexp": ["a"]}, "bad callback (4): resp_regexp: "),
    ({"body_type": 3}, "bad callback (4): body_type: must be 1 (JSON) or 2 (form)"),
    ({"body_type": 2, "body": "a=1&b=2"}, "bad callback (4): body: "),
    ({"body": 12}, "bad callback (4): body: must be a string"),
    ({"redo_param": "2 x 8"}, "invalid parameter (1): redo_param: must be retry delays in seconds separated by spaces"),
    ({"redo_param": "-2"}, "invalid parameter (1): redo_param: "),
    ({"redo_param": "2,4,8"}, "invalid parameter (1): redo_param: "),
    ({"redo_param": " ".join(["1"] * 101)}, "invalid parameter (1): redo_param: holds 101 delays"),
    ({"redo": "2 4"}, "invalid parameter (1): unknown field(s): redo"),
    ({"task_id": 5}, "invalid parameter (1): unknown field(s): task_id"),
]


@pytest.mark.parametrize(("fields", "err"), BAD_TASKS)
def test_bad_tasks_get_their_err_and_write_nothing(crontab: Crontab, fields: dict[str, Any], err: str) -> None:
    [result] = crontab.add(task("bad-one") | fields)
    assert result["err"].startswith(err), result["err"]
    assert result["task_id"] == str(fields.get("task_id", ""))  # what was asked for: nothing was created
    assert not Job.objects.exists() and not PeriodicTask.objects.exists()


@pytest.mark.parametrize("missing", ["name", "type", "start_time", "url", "method"])
def test_required_fields(crontab: Crontab, missing: str) -> None:
    incomplete = task("incomplete")
    del incomplete[missing]
    [result] = crontab.add(incomplete)
    assert f"{missing}: This field is required." in result["err"]


@pytest.mark.parametrize(
    ("body", "msg"),
    [
        ({}, 'task_list: is required: send {"task_list": [...]}'),
        ({"task_list": None}, "task_list: is required"),
        ({"task_list": []}, "task_list: must hold at least one task"),
        ({"task_list": {"name": "x"}}, "task_list: must be a list of tasks"),
        ({"task_list": "x"}, "task_list: must be a list of tasks"),
        ([{"task_list": []}], "Invalid data. Expected a dictionary"),
        ("not json", "the request body is not JSON"),
        ('{"task_list": [', "the request body is not JSON"),
        (b"\xff\xfe", "the request body is not JSON"),
        ("", "task_list: is required"),
    ],
)
def test_request_level_errors_answer_400_with_a_non_zero_state(crontab: Crontab, body: Any, msg: str) -> None:
    for endpoint in ("add_task", "update_task", "query_task_status", "run_again_task"):
        answer = crontab.post(endpoint, body, status=400)
        assert answer["state"] == 1 and answer["msg"].startswith(msg) and answer["data"] == {}
    assert not Job.objects.exists()


def test_too_many_tasks_in_one_request(crontab: Crontab, settings) -> None:
    settings.CRONTAB_MAX_TASKS_PER_REQUEST = 2
    answer = crontab.post("add_task", {"task_list": [task("a"), task("b"), task("c")]}, status=400)
    assert answer["msg"] == "task_list: holds 3 tasks; at most 2 per request" and not Job.objects.exists()


def test_token_is_required(db) -> None:
    response = APIClient().post("/crontab/add_task", {"task_list": [task("anon")]}, format="json")
    assert response.status_code == 401 and response.json()["state"] == 1 and response["WWW-Authenticate"] == "Token"


def test_only_post(crontab: Crontab) -> None:
    response = crontab.client.get("/crontab/query_task_status")
    assert response.status_code == 405 and response.json() == {"state": 1, "msg": 'Method "GET" not allowed.', "data": {}}


def test_the_endpoints_are_in_the_openapi_schema(api: APIClient) -> None:
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert all(f"/crontab/{name}" in schema.content.decode() for name in ("add_task", "update_task", "query_task_status", "run_again_task"))
