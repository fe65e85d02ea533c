"""The REST mirror: POST /api/queues/{Method} in the proto's JSON mapping, and every answer,
errors included, exactly the method's response message: each one is read back here with
``json_format.Parse`` into that message, unknown fields refused, as generated clients read it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.protobuf import json_format
from google.protobuf.message import Message
from rest_framework.test import APIClient

from api_app.grpc.generated import standard_pb2 as pb
from tasks_app.models import QueueTask

# Committed rows (the Redis ready queue is told on commit) and this run's Redis keys.
pytestmark = pytest.mark.usefixtures("transactional_db", "redis_client")

RESPONSES: dict[str, type[Message]] = {
    "CreateTask": pb.CreateTaskResponse,
    "QueryTaskByID": pb.QueryTaskByIDResponse,
    "CancelTaskByID": pb.CancelTaskByIDResponse,
    "QueryTaskByOwner": pb.QueryTaskByOwnerResponse,
    "QueryTaskByHashCode": pb.QueryTaskByHashCodeResponse,
    "QueryLengthByChannel": pb.QueryLengthByChannelResponse,
    "ReportTaskResult": pb.ReportTaskResultResponse,
    "ReceiveQueueByChannel": pb.ReceiveQueueByChannelResponse,
}


def strictly(method: str, response: Any) -> Any:
    """The answer read as the method's response message (unknown fields refused); with a State,
    it is the HTTP status."""
    message = json_format.Parse(response.content.decode(), RESPONSES[method](), ignore_unknown_fields=False)
    if "State" in message.DESCRIPTOR.fields_by_name:
        assert message.State == response.status_code
    return message


def call(api: APIClient, method: str, body: Any, **extra: Any) -> Any:
    response = api.post(f"/api/queues/{method}", body, format="json", **extra)
    strictly(method.rstrip("/"), response)
    return response


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
    handed = call(api, "ReceiveQueueByChannel", {"Channel": "web", "WaitSeconds": 1})
    assert handed.status_code == 200 and list(handed.json()) == ["Tasks"]
    assert (handed.json()["Tasks"]["ID"], handed.json()["Tasks"]["State"]) == (first["ID"], "PROCEEDING")
    reported = call(api, "ReportTaskResult", {"ID": first["ID"], "State": 1, "Output": "a+1"})
    assert reported.status_code == 200 and reported.json() == {"State": 200, "Message": "OK", "Data": first["ID"]}
    nxt = call(api, "ReceiveQueueByChannel", {"Channel": "web"}).json()["Tasks"]
    assert (nxt["ID"], nxt["Input"]) == (second["ID"], "a+1")
    again = call(api, "ReportTaskResult", {"ID": first["ID"], "State": 1})
    assert again.status_code == 400 and again.json()["Data"] == 0 and "not PROCEEDING" in again.json()["Message"]


def test_long_poll_answers_the_empty_message_when_none_came(api: APIClient) -> None:
    for wait in (0, 0.3):
        empty = call(api, "ReceiveQueueByChannel", {"Channel": "quiet", "WaitSeconds": wait})
        assert empty.status_code == 200 and empty.json() == {}
        assert not strictly("ReceiveQueueByChannel", empty).HasField("Tasks")


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
        ("QueryTaskByOwner", {}, 400, "Owner: is required"),
        ("QueryTaskByOwner", {"Owner": 1, "Limit": 5000}, 400, "Limit: must be at most"),
        ("CancelTaskByID", {"ID": 404}, 404, "ID: no task 404"),
        ("QueryLengthByChannel", {}, 400, "Channel: is required"),
        ("ReportTaskResult", {"ID": 1, "State": 9}, 400, "State: must be 1 (success)"),
        ("ReportTaskResult", {"ID": 404, "State": 1}, 404, "ID: no task 404"),
    ],
)
def test_bad_input_is_the_response_message_with_its_state(api: APIClient, method: str, body: Any, status: int, message: str) -> None:
    response = call(api, method, body)
    parsed = strictly(method, response)
    assert (response.status_code, parsed.State) == (status, status) and message in parsed.Message
    assert not parsed.HasField("Data") if method in ("QueryTaskByID", "QueryTaskByHashCode") else not parsed.Data
    assert not QueueTask.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"WaitSeconds": 1}, "Channel: is required"),
        ({"Channel": "c", "WaitSeconds": 31}, "WaitSeconds: must be a number of seconds from 0 to 30"),
        ({"Channel": "c", "WaitSeconds": -1}, "WaitSeconds: must be"),
        ({"Channel": "c", "WaitSeconds": True}, "WaitSeconds: must be"),
        ({"Channel": "c", "Extra": 1}, 'no field named "Extra"'),
        ({"Channel": "c", "Wäit": 1}, 'no field named "W%C3%A4it"'),  # percent-encoded as gRPC encodes it
    ],
)
def test_a_bad_receive_is_the_empty_message_with_the_reason_in_grpc_headers(api: APIClient, body: Any, message: str) -> None:
    response = call(api, "ReceiveQueueByChannel", body)
    assert response.status_code == 400 and response.json() == {}
    assert response["Grpc-Status"] == "3" and message in response["Grpc-Message"]  # INVALID_ARGUMENT


def test_an_unknown_method_answers_state_and_message(api: APIClient) -> None:
    response = api.post("/api/queues/NoSuchMethod", {}, format="json")
    assert response.status_code == 404 and response.json() == {"State": 404, "Message": "no endpoint POST /api/queues/NoSuchMethod"}
    # Every response message with a State reads it.
    for method in RESPONSES:
        if method != "ReceiveQueueByChannel":
            assert json_format.Parse(response.content.decode(), RESPONSES[method](), ignore_unknown_fields=False).State == 404


@pytest.mark.parametrize("method", sorted(RESPONSES))
def test_malformed_json_wrong_content_type_wrong_verb_and_no_token(api: APIClient, method: str) -> None:
    broken = api.post(f"/api/queues/{method}", "{not json", content_type="application/json")
    text = api.post(f"/api/queues/{method}", "Channel=web", content_type="text/plain")
    fetched = api.get(f"/api/queues/{method}")
    anonymous = APIClient().post(f"/api/queues/{method}", {"Channel": "web"}, format="json")
    for response, status in ((broken, 400), (text, 415), (fetched, 405), (anonymous, 401)):
        assert response.status_code == status, response.content
        strictly(method, response)
    assert "JSON parse error" in (broken.json().get("Message") or json.dumps(broken["Grpc-Message"]))
    assert not QueueTask.objects.exists()
