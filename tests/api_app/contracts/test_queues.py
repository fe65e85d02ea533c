"""standard.Queues (seed 004) over the REST mirror: each method's request message in the proto3 JSON
mapping, each answer parsed strictly into its response message (unknown fields refused)."""

from __future__ import annotations

import json

import pytest
from google.protobuf import json_format

from api_app.grpc.generated import standard_pb2 as pb
from tests.api_app.contracts.conftest import Client

pytestmark = pytest.mark.usefixtures("redis_client")


def call(client: Client, method: str, request: dict, response_type: type) -> tuple[int, object]:
    answer = client.call("POST", f"/api/queues/{method}", json=request)
    message = json_format.Parse(json.dumps(answer.body), response_type(), ignore_unknown_fields=False)
    return answer.status, message


def test_every_method_answers_its_response_message(client: Client) -> None:
    status, created = call(client, "CreateTask", {"Task": {"Channel": "mail", "Owner": 7, "Input": "hi"}}, pb.CreateTaskResponse)
    assert (status, created.State, len(created.Data)) == (200, 200, 32)
    _, by_hash = call(client, "QueryTaskByHashCode", {"HashCode": created.Data}, pb.QueryTaskByHashCodeResponse)
    task_id = by_hash.Data.ID
    _, by_id = call(client, "QueryTaskByID", {"ID": str(task_id)}, pb.QueryTaskByIDResponse)
    _, owned = call(client, "QueryTaskByOwner", {"Owner": 7}, pb.QueryTaskByOwnerResponse)
    _, length = call(client, "QueryLengthByChannel", {"Channel": "mail"}, pb.QueryLengthByChannelResponse)
    assert (by_id.Data, owned.Total, [t.ID for t in owned.Data], length.Data) == (by_hash.Data, 1, [task_id], 1)
    _, received = call(client, "ReceiveQueueByChannel", {"Channel": "mail", "WaitSeconds": 1}, pb.ReceiveQueueByChannelResponse)
    assert (received.Tasks.ID, received.Tasks.State) == (task_id, "PROCEEDING")
    _, reported = call(client, "ReportTaskResult", {"ID": task_id, "State": 3, "Output": "later"}, pb.ReportTaskResultResponse)
    assert (reported.State, reported.Data) == (200, task_id)
    _, cancelled = call(client, "CancelTaskByID", {"ID": task_id}, pb.CancelTaskByIDResponse)
    assert [(t.ID, t.State) for t in cancelled.Data] == [(task_id, "CANCEL")]


def test_errors_are_the_response_message_too(client: Client) -> None:
    status, missing = call(client, "QueryTaskByID", {"ID": 404}, pb.QueryTaskByIDResponse)
    assert (status, missing.State, missing.Message, missing.HasField("Data")) == (404, 404, "ID: no task 404", False)
    status, ownerless = call(client, "QueryTaskByOwner", {}, pb.QueryTaskByOwnerResponse)
    assert (status, ownerless.State, ownerless.Message) == (400, 400, "Owner: is required")
    status, none = call(client, "ReceiveQueueByChannel", {"Channel": "quiet"}, pb.ReceiveQueueByChannelResponse)
    assert (status, none.HasField("Tasks")) == (200, False)
