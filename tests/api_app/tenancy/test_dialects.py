"""Scoped tokens on every dialect: each maps its own names to a namespace (xtimer ``app``,
crontab ``module``, dispatch ``groupCode``, hangfire ``service-<serviceId>``, queues ``Channel``)."""

from __future__ import annotations

import pytest

from tests.api_app.dispatch.wire import add_body, cron_task
from tests.api_app.xtimer.conftest import seed_timer
from tests.factories import make_service

pytestmark = pytest.mark.django_db


def test_xtimer(alice, bob, staff) -> None:
    made = alice.post("/xtimer/creatTimer", seed_timer("http://127.0.0.1:9/n", app="alice-app"), format="json").json()
    timer_id = made["data"]["timerId"]
    assert bob.get("/xtimer/getTimers?app=alice-app").json()["data"] == {"total": 0, "timers": []}
    for path in ("getTimer", "getTasks", "delTimer"):
        answer = (
            bob.get(f"/xtimer/{path}?app=alice-app&timerId={timer_id}")
            if path != "delTimer"
            else bob.post(f"/xtimer/delTimer?app=alice-app&timerId={timer_id}")
        )
        assert (answer.status_code, answer.json()["code"]) == (404, 9024), path
    assert bob.get(f"/xtimer/enableTimer?app=alice-app&timerId={timer_id}").json()["code"] == 9023
    refused = bob.post("/xtimer/creatTimer", seed_timer("http://127.0.0.1:9/n", app="alice-app", name="mine"), format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, 9025)
    assert alice.get(f"/xtimer/getTimer?app=alice-app&timerId={timer_id}").json()["data"]["timerId"] == timer_id
    assert staff.get("/xtimer/getTimers?app=alice-app").json()["data"]["total"] == 1


def crontab_task(name: str, module: str) -> dict:
    return {"name": name, "module": module, "type": 4, "start_time": "0 30 2 * * *", "url": "http://127.0.0.1:9/u", "method": "post"}


def test_crontab(alice, bob, staff) -> None:
    made = alice.post("/crontab/add_task", {"task_list": [crontab_task("a-task", "alice-mod")]}, format="json").json()
    task_id = made["data"]["task_result"][0]["task_id"]
    refused = bob.post("/crontab/add_task", {"task_list": [crontab_task("b-task", "alice-mod")]}, format="json").json()
    assert "does not hold namespace 'alice-mod'" in refused["data"]["task_result"][0]["err"]
    for endpoint, change in (("query_task_status", {}), ("run_again_task", {}), ("update_task", {"enable": 2})):
        answer = bob.post(f"/crontab/{endpoint}", {"task_list": [{"task_id": task_id, **change}]}, format="json").json()
        assert answer["data"]["task_result"][0]["err"].startswith("neither task_id nor name is valid (5)"), endpoint
    assert staff.post("/crontab/query_task_status", {"task_list": [{"task_id": task_id}]}, format="json").json()["state"] == 0


def test_dispatch(alice, bob, staff) -> None:
    assert alice.post("/dispatchserver/add.do", add_body(cron_task(group="alice-grp")), format="json").json()["success"] is True
    refused = bob.post("/dispatchserver/add.do", add_body(cron_task(group="alice-grp", name="x")), format="json")
    assert refused.status_code == 403 and refused.json()["success"] is False
    for action in ("pause", "resumeTask", "trigger", "delete"):
        answer = bob.post(f"/dispatchserver/{action}.do", {"jobName": "report", "groupName": "alice-grp"}, format="json")
        assert (answer.status_code, answer.json()["success"]) == (404, False), action
    log_id = alice.post("/dispatchserver/trigger.do", {"jobName": "report", "groupName": "alice-grp"}, format="json").json()["resultValue"]
    reported = bob.post("/taskcallback/updateTaskLog", {"id": log_id, "success": True, "resultValue": "x"}, format="json")
    assert reported.status_code == 404
    assert staff.post("/dispatchserver/pause.do", {"jobName": "report", "groupName": "alice-grp"}, format="json").json()["success"] is True


def test_hangfire(alice, bob, staff) -> None:
    make_service(service_id=100)
    body = {"serviceId": 100, "messageId": 7, "data": "{}"}
    assert alice.post("/api/hangfire/enqueue", body, format="json").json()["returnCode"] == 0
    refused = bob.post("/api/hangfire/enqueue", body, format="json")
    assert (refused.status_code, refused.json()["returnCode"], refused.json()["data"]["code"]) == (403, 403, "forbidden")
    assert staff.post("/api/hangfire/enqueue", body, format="json").json()["returnCode"] == 0


def test_queues_rest(alice, bob, staff) -> None:
    created = alice.post("/api/queues/CreateTask", {"Task": {"Channel": "alice-mail", "Owner": 5, "Input": "x"}}, format="json").json()
    task_id = alice.post("/api/queues/QueryTaskByHashCode", {"HashCode": created["Data"]}, format="json").json()["Data"]["ID"]
    refused = bob.post("/api/queues/CreateTask", {"Task": {"Channel": "alice-mail"}}, format="json")
    assert (refused.status_code, refused.json()["State"]) == (403, 403)
    assert bob.post("/api/queues/QueryTaskByID", {"ID": task_id}, format="json").json()["State"] == 404
    assert bob.post("/api/queues/CancelTaskByID", {"ID": task_id}, format="json").json()["State"] == 404
    assert bob.post("/api/queues/QueryTaskByOwner", {"Owner": 5}, format="json").json()["Total"] == 0
    assert bob.post("/api/queues/QueryLengthByChannel", {"Channel": "alice-mail"}, format="json").json()["Data"] == 0
    assert bob.post("/api/queues/ReceiveQueueByChannel", {"Channel": "alice-mail"}, format="json").status_code == 403
    assert alice.post("/api/queues/QueryTaskByOwner", {"Owner": 5}, format="json").json()["Total"] == 1
    assert staff.post("/api/queues/QueryTaskByID", {"ID": task_id}, format="json").json()["State"] == 200
