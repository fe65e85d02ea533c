"""update_task: found by task_id, else by name; only the fields given change; the id stays."""

from __future__ import annotations

from typing import Any

import pytest

from tasks_app.models import Job
from tests.api_app.crontab.conftest import Crontab, soon, task


def update(crontab: Crontab, **fields: Any) -> dict[str, Any]:
    [result] = crontab.results("update_task", fields)
    return result


def test_only_the_fields_given_change_and_the_id_stays(crontab: Crontab) -> None:
    task_id = crontab.added(**task("nightly", body='{"a": 1}', redo_param="2 4"))
    before = Job.objects.get(pk=task_id)
    assert update(crontab, task_id=task_id, url="http://svc:9000/new") == {"task_id": str(task_id), "name": "nightly", "err": ""}
    after = Job.objects.get(pk=task_id)
    assert after.callback == before.callback | {"url": "http://svc:9000/new"}
    assert (after.trigger, after.next_fire_at, after.retry, after.enabled, after.namespace) == (
        before.trigger, before.next_fire_at, before.retry, before.enabled, before.namespace,
    )  # fmt: skip
    assert after.dialect_data == before.dialect_data | {"url": "http://svc:9000/new"}
    assert Job.objects.count() == 1


def test_found_by_name_when_task_id_is_missing_or_invalid(crontab: Crontab) -> None:
    task_id = crontab.added(**task("by-name"))
    for key in ({}, {"task_id": None}, {"task_id": "abc"}, {"task_id": 0}, {"task_id": 987654}):
        assert update(crontab, name="by-name", redo_param="1", **key)["task_id"] == str(task_id)
    assert Job.objects.get(pk=task_id).retry == {"delays_seconds": [1]}


def test_task_id_wins_over_name_and_renames(crontab: Crontab) -> None:
    task_id = crontab.added(**task("old-name"))
    assert update(crontab, task_id=str(task_id), name="new-name")["name"] == "new-name"
    assert Job.objects.get(pk=task_id).name == "new-name"


def test_renaming_onto_another_tasks_name_fails_and_changes_nothing(crontab: Crontab) -> None:
    crontab.added(**task("taken", module="a"))
    task_id = crontab.added(**task("mine", module="b"))
    result = update(crontab, task_id=task_id, name="taken", url="http://svc/changed")
    assert result["err"].startswith("invalid parameter (1): name: a task named 'taken' already exists")
    job = Job.objects.get(pk=task_id)
    assert job.name == "mine" and job.callback["url"] == "http://127.0.0.1:9/unused"


def test_schedule_changes_are_checked_against_the_stored_fields(crontab: Crontab) -> None:
    task_id = crontab.added(**task("daily"))
    assert update(crontab, task_id=task_id, type=3)["err"].startswith(
        "bad start_time (3): start_time: '0 30 2 * * *' repeats every day: it fits type 4 (daily), not the task's type 3"
    )
    assert update(crontab, task_id=task_id, start_time="@hourly")["err"].startswith("bad start_time (3)")
    assert Job.objects.get(pk=task_id).trigger["cron"] == "0 30 2 * * *"
    assert update(crontab, task_id=task_id, type=3, start_time="@hourly")["err"] == ""
    job = Job.objects.get(pk=task_id)
    assert job.trigger["cron"] == "0 0 * * * *" and job.dialect_data["type"] == 3


def test_a_single_task_takes_a_new_timestamp_as_a_string_or_a_number(crontab: Crontab) -> None:
    task_id = crontab.added(**task("once", type=1, start_time=soon(600)))
    for start_time in (soon(900), str(soon(1200))):
        assert update(crontab, task_id=task_id, start_time=start_time)["err"] == ""
        assert Job.objects.get(pk=task_id).next_fire_at.timestamp() == int(start_time)


def test_enable_module_method_and_retries(crontab: Crontab) -> None:
    task_id = crontab.added(**task("switches"))
    update(crontab, task_id=task_id, enable=2, module="ops", redo_param="3 6")
    job = Job.objects.get(pk=task_id)
    assert (job.enabled, job.state, job.namespace, job.retry) == (False, "paused", "ops", {"delays_seconds": [3, 6]})
    update(crontab, task_id=task_id, enable=1, redo_param=None, module=None)
    job = Job.objects.get(pk=task_id)
    assert (job.enabled, job.state, job.namespace, job.retry) == (True, "scheduled", "default", {"delays_seconds": []})
    assert update(crontab, task_id=task_id, method="rpc")["err"].startswith("bad callback (4): url: must be host:port/Service.Method")
    assert update(crontab, task_id=task_id, method="rpc", url="127.0.0.1:7070/Jobs.Run")["err"] == ""
    assert Job.objects.get(pk=task_id).callback["kind"] == "rpc"


def test_unknown_tasks_are_code_5_and_the_batch_goes_on(crontab: Crontab) -> None:
    task_id = crontab.added(**task("known"))
    answer = crontab.post("update_task", {"task_list": [{"task_id": 424242}, {"name": "nobody"}, {}, {"task_id": task_id, "enable": 2}]})
    assert answer["state"] == 0
    errs = [r["err"] for r in answer["data"]["task_result"]]
    assert errs[0] == "neither task_id nor name is valid (5): task_id: no task with task_id 424242"
    assert errs[1] == "neither task_id nor name is valid (5): name: no task with name 'nobody'"
    assert errs[2] == "neither task_id nor name is valid (5): name: neither task_id nor name was given"
    assert errs[3] == "" and not Job.objects.get(pk=task_id).enabled


def test_jobs_of_other_dialects_are_not_crontab_tasks(crontab: Crontab) -> None:
    from tests.factories import make_job

    other = make_job(name="v1-job")
    assert update(crontab, task_id=other.pk, enable=2)["err"].startswith("neither task_id nor name is valid (5)")
    assert update(crontab, name="v1-job", enable=2)["err"].startswith("neither task_id nor name is valid (5)")


@pytest.mark.parametrize(
    ("fields", "err"),
    [
        ({"type": 12}, "bad type (2): type: "),
        ({"start_time": "0 0 0 ? * * *"}, "bad start_time (3): "),
        ({"url": None}, "bad callback (4): url: This field may not be null."),
        ({"body_type": 2, "body": "[1, 2]"}, "bad callback (4): body: a form body must be a JSON object"),
        ({"redo_param": "soon"}, "invalid parameter (1): redo_param: "),
        ({"enable": 0}, "invalid parameter (1): enable: "),
        ({"colour": "red"}, "invalid parameter (1): unknown field(s): colour"),
    ],
)
def test_bad_changes_write_nothing(crontab: Crontab, fields: dict[str, Any], err: str) -> None:
    task_id = crontab.added(**task("steady"))
    before = Job.objects.get(pk=task_id)
    assert update(crontab, task_id=task_id, **fields)["err"].startswith(err)
    after = Job.objects.get(pk=task_id)
    assert (after.trigger, after.callback, after.retry, after.enabled, after.dialect_data, after.updated_at) == (
        before.trigger, before.callback, before.retry, before.enabled, before.dialect_data, before.updated_at,
    )  # fmt: skip
