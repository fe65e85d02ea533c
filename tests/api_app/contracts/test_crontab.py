"""crontab server (seed 002): its four endpoints with the seed's requests (task_id a number, module
a number, start_time a cron or a timestamp); every answer's task_id a string, as the seed's are."""

from __future__ import annotations

import time

from tasks_app import services
from tasks_app.models import Execution
from tests.api_app.contracts.conftest import Client, json_types

ADD_TASK = {
    "name": "定时改价",
    "enable": 1,
    "module": 2,
    "type": 4,
    "start_time": "0 30 2 * * *",
    "url": "http://127.0.0.1:9/path/aa",
    "method": "post",
    "resp_regexp": "ok",
    "body": "xxx",
    "body_type": 1,
    "redo_param": "2 4 8",
}
SINGLE_TASK = ADD_TASK | {"name": "单次", "type": 1, "start_time": int(time.time()) + 3600}
TASK_RESULT_REPLY = {
    "state": "number",
    "msg": "string",
    "data": {"task_result": [{"task_id": "string", "name": "string", "err": "string"}]},
}
QUERY_REPLY = {
    "state": "number",
    "msg": "string",
    "data": {
        "log_list": [
            {
                "task_id": "string",
                "name": "string",
                "run_type": "number",
                "status": "number",
                "begin_time": "string",
                "end_time": "string",
                "url": "string",
                "body": "string",
                "resp": "string",
            }  # fmt: skip
        ],
        "task_result": [
            {"task_id": "string", "name": "string", "err": "string", "log_total": "number", "page": "number", "page_size": "number"}
        ],
    },
}


def test_add_update_run_again_and_query_as_the_seed_writes_them(client: Client) -> None:
    added = client.call("POST", "/crontab/add_task", json={"task_list": [ADD_TASK, SINGLE_TASK]})
    assert (added.status, json_types(added.body), added.body["state"]) == (200, TASK_RESULT_REPLY, 0)
    assert [result["err"] for result in added.body["data"]["task_result"]] == ["", ""]
    task_id = int(added.body["data"]["task_result"][0]["task_id"])
    updated = client.call("POST", "/crontab/update_task", json={"task_list": [{"task_id": task_id, "name": "定时改价", "method": "post"}]})
    assert (json_types(updated.body), updated.body["data"]["task_result"][0]["task_id"]) == (TASK_RESULT_REPLY, str(task_id))
    again = client.call("POST", "/crontab/run_again_task", json={"task_list": [{"task_id": task_id, "name": "定时改价"}]})
    assert (json_types(again.body), again.body["data"]["task_result"][0]["err"]) == (TASK_RESULT_REPLY, "")
    services.run_execution(execution_id=Execution.objects.get(job_id=task_id, reason="manual").pk)  # as a worker would
    queried = client.call("POST", "/crontab/query_task_status", json={"task_list": [{"task_id": str(task_id)}]})
    assert (queried.status, json_types(queried.body)) == (200, QUERY_REPLY)
    assert queried.body["data"]["log_list"][0]["run_type"] == 3  # run again


def test_a_query_of_no_task_is_state_5_with_string_ids(client: Client) -> None:
    answer = client.call("POST", "/crontab/query_task_status", json={"task_list": [{"task_id": 12345, "name": "定时改价"}]})
    assert (answer.status, answer.body["state"], answer.body["data"]["task_result"][0]["task_id"]) == (400, 5, "12345")
