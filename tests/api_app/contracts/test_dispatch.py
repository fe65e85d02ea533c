"""iuap dispatch (seed 003): add.do with recallConfig and taskConfig as JSON strings (as its
document types them) and replace; pause, resume, trigger and delete by jobName and groupName;
every answer {success: boolean, error: String, resultValue: String}."""

from __future__ import annotations

import json

import pytest

from tests.api_app.contracts.conftest import Client, json_types

RECALL_CONFIG = {"recallType": "HTTP", "option": json.dumps({"url": "http://127.0.0.1:9/XXX"}), "data": '{"orderId": 5}'}
TASK_CONFIG = {
    "triggerType": "CronTrigger",
    "jobCode": "nightly",
    "groupCode": "billing",
    "priority": 5,
    "endDate": None,
    "cronExpress": "0 30 2 * * ?",
}
ADD = {"recallConfig": json.dumps(RECALL_CONFIG), "taskConfig": json.dumps(TASK_CONFIG), "replace": True}
REF = {"jobName": "nightly", "groupName": "billing"}
OK = {"success": "boolean", "error": "null", "resultValue": "null"}
REFUSED = {"success": "boolean", "error": "string", "resultValue": "null"}


@pytest.mark.parametrize("encoding", ["json", "data"])  # a JSON body, or a form post as Java clients send
def test_add_then_each_action_as_the_seed_writes_them(client: Client, encoding: str) -> None:
    added = client.call("POST", "/dispatchserver/add.do", **{encoding: ADD})
    assert (added.status, json_types(added.body), added.body["success"]) == (200, OK, True)
    for path in ("/dispatchserver/pause.do", "/dispatchserver/resumeTask.do"):
        answer = client.call("POST", path, **{encoding: REF})
        assert (answer.status, json_types(answer.body)) == (200, OK)
    triggered = client.call("POST", "/dispatchserver/trigger.do", **{encoding: REF})
    assert json_types(triggered.body) == OK | {"resultValue": "string"}  # the run's task log id
    deleted = client.call("POST", "/dispatchserver/delete.do", **{encoding: REF})
    assert (deleted.status, json_types(deleted.body)) == (200, OK)


def test_a_refusal_and_the_seeds_typo_path_answer_in_the_envelope(client: Client) -> None:
    missing = client.call("POST", "/dispatchserver/pause.do", json=REF)
    assert (missing.status, json_types(missing.body), missing.body["success"]) == (404, REFUSED, False)
    typo = client.call("POST", "/dispatchserver/ trigger.do", json=REF, documented="/dispatchserver/trigger.do")
    assert (typo.status, json_types(typo.body)) == (404, REFUSED)
