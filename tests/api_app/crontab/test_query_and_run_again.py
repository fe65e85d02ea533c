"""query_task_status (the log, newest first, paged) and run_again_task (a manual run, run_type 3).
Attempts run here in the test's thread (services.run_execution) against a real HTTP receiver;
tests/api_app/crontab/test_end_to_end.py runs them on the real worker."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tasks_app import services
from tasks_app.callbacks import Outcome
from tasks_app.models import Execution, Job
from tests.api_app.crontab.conftest import Crontab, task


def run_queued(job_id: int) -> None:
    for execution in Execution.objects.filter(job_id=job_id, status="queued").order_by("id"):
        services.run_execution(execution_id=execution.pk)


def test_run_again_runs_a_disabled_task_and_the_log_reads_it_back(crontab: Crontab, receiver, settings) -> None:
    settings.CRONTAB_TIME_ZONE = "Asia/Shanghai"
    receiver.expect_request("/hook", method="POST").respond_with_data('{"code": 0}')
    task_id = crontab.added(**task("manual", enable=2, url=receiver.url_for("/hook"), body='{"n": 1}'))
    assert crontab.results("run_again_task", {"task_id": task_id}) == [{"task_id": str(task_id), "name": "manual", "err": ""}]
    assert crontab.query({"task_id": task_id})["log_list"] == []  # queued, not started: not in the log yet
    run_queued(task_id)
    data = crontab.query({"name": "manual"})
    [entry] = data["log_list"]
    execution = Execution.objects.get(job_id=task_id)
    assert entry == {
        "task_id": str(task_id), "name": "manual", "run_type": 3, "status": 2,
        "begin_time": entry["begin_time"], "end_time": entry["end_time"],
        "url": receiver.url_for("/hook"), "body": '{"n": 1}', "resp": '{"code": 0}',
    }  # fmt: skip
    shanghai = ZoneInfo("Asia/Shanghai")
    assert entry["begin_time"] == execution.started_at.astimezone(shanghai).strftime("%Y-%m-%d %H:%M:%S")
    assert entry["end_time"] == execution.finished_at.astimezone(shanghai).strftime("%Y-%m-%d %H:%M:%S")
    assert data["task_result"] == [{"task_id": str(task_id), "name": "manual", "err": "", "log_total": 1, "page": 1, "page_size": 100}]


def test_a_failed_call_logs_its_error_as_resp(crontab: Crontab) -> None:
    task_id = crontab.added(**task("unreachable", url="http://127.0.0.1:9/down"))
    crontab.results("run_again_task", {"name": "unreachable"})
    run_queued(task_id)
    [entry] = crontab.query({"task_id": task_id})["log_list"]
    assert entry["status"] == 3 and entry["run_type"] == 3 and "ConnectionError" in entry["resp"]


def record_attempts(job: Job, count: int) -> None:
    """``count`` finished manual attempts, through the services (no callback is made)."""
    for number in range(count):
        execution = services.trigger_job(job=job)
        services.record_outcome(
            execution=execution, outcome=Outcome(succeeded=True, request={"body": str(number)}, response_body=f"answer {number}")
        )


def test_the_log_is_newest_first_100_a_page_with_more_pages_beyond(crontab: Crontab) -> None:
    task_id = crontab.added(**task("busy"))
    record_attempts(Job.objects.get(pk=task_id), 103)
    first = crontab.query({"task_id": task_id})
    assert len(first["log_list"]) == 100 and first["task_result"][0]["log_total"] == 103
    assert [entry["resp"] for entry in first["log_list"][:2]] == ["answer 102", "answer 101"]
    second = crontab.query({"task_id": task_id, "page": 2})
    assert [entry["resp"] for entry in second["log_list"]] == ["answer 2", "answer 1", "answer 0"]
    small = crontab.query({"task_id": task_id, "page": 4, "page_size": 10})
    assert [entry["body"] for entry in small["log_list"]] == [str(n) for n in range(72, 62, -1)]
    assert crontab.query({"task_id": task_id, "page": 9})["log_list"] == []


def test_logs_of_several_tasks_come_task_by_task(crontab: Crontab) -> None:
    first, second = crontab.added(**task("first")), crontab.added(**task("second"))
    record_attempts(Job.objects.get(pk=first), 2)
    record_attempts(Job.objects.get(pk=second), 1)
    data = crontab.query({"task_id": second}, {"name": "first"})
    assert [entry["name"] for entry in data["log_list"]] == ["second", "first", "first"]


def test_query_for_tasks_none_of_which_exist_is_state_5(crontab: Crontab) -> None:
    answer = crontab.post("query_task_status", {"task_list": [{"task_id": 999}, {"name": "ghost"}]}, status=400)
    assert answer["state"] == 5 and answer["msg"] == "none of the tasks exist; see each task's err"
    assert [r["err"][:38] for r in answer["data"]["task_result"]] == ["neither task_id nor name is valid (5):"] * 2
    assert [r["task_id"] for r in answer["data"]["task_result"]] == ["999", ""]  # the id asked for, as a string


def test_query_with_some_tasks_missing_is_state_0(crontab: Crontab) -> None:
    task_id = crontab.added(**task("present"))
    answer = crontab.post("query_task_status", {"task_list": [{"task_id": task_id}, {"name": "ghost"}]})
    assert answer["state"] == 0 and answer["msg"] == "1 of 2 tasks failed; see each task's err"
    assert answer["data"]["task_result"][1] == {
        "task_id": "",
        "name": "ghost",
        "err": "neither task_id nor name is valid (5): name: no task with name 'ghost'",
    }


@pytest.mark.parametrize(
    ("ref", "err"),
    [
        ({"page": 0}, "invalid parameter (1): page: "),
        ({"page_size": 101}, "invalid parameter (1): page_size: "),
        ({"page": "two"}, "invalid parameter (1): page: "),
        ({"type": 1}, "invalid parameter (1): unknown field(s): type"),
    ],
)
def test_bad_queries(crontab: Crontab, ref: dict[str, Any], err: str) -> None:
    task_id = crontab.added(**task("queried"))
    answer = crontab.post("query_task_status", {"task_list": [{"task_id": task_id, **ref}, {"task_id": task_id}]})
    assert answer["data"]["task_result"][0]["err"].startswith(err)


def test_run_again_for_unknown_tasks(crontab: Crontab) -> None:
    task_id = crontab.added(**task("real"))
    results = crontab.results("run_again_task", {"task_id": 999}, {"name": "real"}, {"name": ""}, {"task_id": task_id, "extra": 1})
    assert [r["err"].split(":")[0] for r in results] == [
        "neither task_id nor name is valid (5)", "", "neither task_id nor name is valid (5)", "invalid parameter (1)",
    ]  # fmt: skip
    assert results[3]["err"] == "invalid parameter (1): unknown field(s): extra"
    assert Execution.objects.filter(job_id=task_id, reason="manual").count() == 1


def test_a_deleted_task_keeps_nothing_queryable_by_name(crontab: Crontab) -> None:
    task_id = crontab.added(**task("gone"))
    services.delete_job(job=Job.objects.get(pk=task_id))
    assert crontab.post("query_task_status", {"task_list": [{"name": "gone"}]}, status=400)["state"] == 5
