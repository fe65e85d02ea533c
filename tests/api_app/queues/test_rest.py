"""The REST mirror: POST /api/queues/{Method} in the proto's JSON mapping, {"State", "Message",
"Data"} back, with State as the HTTP status; the long poll; every bad input in the envelope."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tasks_app.models import QueueTask

# Committed rows (the Redis ready queue is told on commit) and this run's Redis keys.
pytestmark = pytest.mark.usefixtures("transactional_db", "redis_client")


def call(api: APIClient, method: str, body: Any, **extra: Any) -> Any:
    return api.post(f"/api/queues/{method}", body, format="json", **extra)


def create(api: APIClient, **task: Any) -> dict[str, Any]:
    response = call(api, "CreateTask", {"Task": {"Channel": "web", **task}})
    assert response.status_code == 200, response.json()
    return call(api, "QueryTaskByHashCode", {"HashCode": response.json()["Data"]}).json()["Data"]


def test_create_query_and_the_envelope(api: APIClient) -> None:
    created = call(api, "CreateTask", {"Task": {"Channel": "web", "Owner": 3, "Input": "hello", "HashCode": "h-1"}})
    assert created.status_code == 200 and created.json() == {"State": 200, "Message": "OK", "Data": "h-1"}
    task = call(api, "QueryTaskByHashCode", {"HashCode": "h-1"}).json()["Data"]
    assert {k: task[k] for k in ("Owner", "Input", "Channel", "State", "RetryMaxLimit", "Prior", "Next")} == {
        "Owner": 3, "Input": "hello", "Channel": "web", "State": "WAITING", "RetryMaxLimit": 3, "Prior": 0, "Next": 0,
    }  # fmt: skip
    by_id = call(api, "QueryTaskByID/", {"ID": str(task["ID"])})  # uint64 as a JSON string works too, and a trailing slash
    assert by_id.json()["Data"] == task
    owned = call(api, "QueryTaskByOwner", {"Owner": 3, "Limit": 10}).json()
    assert (owned["State"], owned["Total"], [t["ID"] for t in owned["Data"]]) == (200, 1, [task["ID"]])
    assert call(api, "QueryLengthByChannel", {"Channel": "web"}).json()["Data"] == 1


def test_long_poll_receive_report_and_chain(api: APIClient) -> None:
    first = create(api, Input="a")
    second = create(api, Prior=first["ID"])
    handed = call(api, "ReceiveQueueByChannel", {"Channel": "web", "WaitSeconds": 1}).json()
    assert handed["State"] == 200 and handed["Data"]["Tasks"]["ID"] == first["ID"] and handed["Data"]["Tasks"]["State"] == "PROCEEDING"
    reported = call(api, "ReportTaskResult", {"ID": first["ID"], "State": 1, "Output": "a+1"})
    assert reported.status_code == 200 and reported.json() == {"State": 200, "Message": "OK", "Data": first["ID"]}
    nxt = call(api, "ReceiveQueueByChannel", {"Channel": "web"}).json()["Data"]["Tasks"]
    assert (nxt["ID"], nxt["Input"]) == (second["ID"], "a+1")
    again = call(api, "ReportTaskResult", {"ID": first["ID"], "State": 1})
    assert again.status_code == 400 and again.json()["Data"] is None and "not PROCEEDING" in again.json()["Message"]


def test_long_poll_answers_empty_tasks_when_none_came(api: APIClient) -> None:
    for wait in (0, 0.3):
        empty = call(api, "ReceiveQueueByChannel", {"Channel": "quiet", "WaitSeconds": wait})
        assert empty.status_code == 200 and empty.json() == {"State": 200, "Message": "no task came", "Data": {"Tasks": {}}}


def test_cancel_returns_every_task_it_cancelled(api: APIClient) -> None:
    first = create(api)
    second = create(api, Prior=first["ID"])
    cancelled = call(api, "CancelTaskByID", {"ID": first["ID"]}).json()
    assert cancelled["State"] == 200 and [(t["ID"], t["State"]) for t in cancelled["Data"]] == [
        (first["ID"], "CANCEL"),
        (second["ID"], "CANCEL"),
    ]


@pytest.mark.parametrize(
    ("method", "body", "status", "message"),
    [
        ("CreateTask", {"Task": {}}, 400, "Channel: is required"),
        ("CreateTask", {}, 400, "Channel: is required"),
        ("CreateTask", {"Task": {"Channel": 5}}, 400, "Failed to parse Channel field"),
        ("CreateTask", {"Task": {"Channel": "c", "Colour": "red"}}, 400, 'no field named "Colour"'),
        ("CreateTask", [1, 2], 400, "the body must be a JSON object"),
        ("QueryTaskByID", {"ID": "abc"}, 400, "Failed to parse ID field"),
        ("QueryTaskByID", {"ID": -1}, 400, "Failed to parse ID field"),
        ("QueryTaskByID", {"ID": 404}, 404, "ID: no task 404"),
        ("QueryTaskByHashCode", {"HashCode": "nope"}, 404, "HashCode: no task with HashCode 'nope'"),
        ("CancelTaskByID", {"ID": 404}, 404, "ID: no task 404"),
        ("QueryLengthByChannel", {}, 400, "Channel: is required"),
        ("ReportTaskResult", {"ID": 1, "State": 9}, 400, "State: must be 1 (success)"),
        ("ReportTaskResult", {"ID": 404, "State": 1}, 404, "ID: no task 404"),
        ("ReceiveQueueByChannel", {"WaitSeconds": 1}, 400, "Channel: is required"),
        ("ReceiveQueueByChannel", {"Channel": "c", "WaitSeconds": 31}, 400, "WaitSeconds: must be a number of seconds from 0 to 30"),
        ("ReceiveQueueByChannel", {"Channel": "c", "WaitSeconds": -1}, 400, "WaitSeconds: must be"),
        ("ReceiveQueueByChannel", {"Channel": "c", "WaitSeconds": True}, 400, "WaitSeconds: must be"),
        ("ReceiveQueueByChannel", {"Channel": "c", "Extra": 1}, 400, 'no field named "Extra"'),
        ("NoSuchMethod", {}, 404, "no method NoSuchMethod"),
    ],
)
def test_bad_input_gets_the_envelope_and_writes_nothing(api: APIClient, method: str, body: Any, status: int, message: str) -> None:
    response = call(api, method, body)
    assert response.status_code == status and response.json()["State"] == status
    assert message in response.json()["Message"] and response.json()["Data"] is None
    assert not QueueTask.objects.exists()


def test_malformed_json_wrong_content_type_and_wrong_verb(api: APIClient) -> None:
    broken = api.post("/api/queues/CreateTask", "{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.json()["State"] == 400 and "JSON parse error" in broken.json()["Message"]
    text = api.post("/api/queues/CreateTask", "Channel=web", content_type="text/plain")
    assert text.status_code == 415 and text.json()["State"] == 415
    fetched = api.get("/api/queues/CreateTask")
    assert fetched.status_code == 405 and fetched.json()["State"] == 405
    assert not QueueTask.objects.exists()


def test_a_token_is_required(api: APIClient) -> None:
    anonymous = APIClient().post("/api/queues/CreateTask", {"Task": {"Channel": "web"}}, format="json")
    assert anonymous.status_code == 401 and anonymous.json()["State"] == 401 and anonymous.json()["Data"] is None
    assert not QueueTask.objects.exists()
