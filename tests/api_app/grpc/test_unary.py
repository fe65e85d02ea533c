"""The six unary methods over a real gRPC server, and every bad input the issue names."""

from __future__ import annotations

import grpc
import pytest

from api_app.grpc.generated import standard_pb2 as pb
from api_app.grpc.generated.standard_pb2_grpc import QueuesStub
from tasks_app.models import QueueTask, QueueTaskEvent
from tests.api_app.grpc.client import create, length, task

HUGE = 2**64 - 1


def create_response(stub: QueuesStub, **fields: object) -> pb.CreateTaskResponse:
    return stub.CreateTask(pb.CreateTaskRequest(Task=pb.Task(**fields)), timeout=10)


def test_create_generates_a_hash_code_and_stores_every_field(stub: QueuesStub) -> None:
    response = create_response(stub, Channel="mail", Owner=7, Input='{"to": "a@b"}')
    assert response.State == 200 and response.Message == "OK" and len(response.Data) == 32
    stored = stub.QueryTaskByHashCode(pb.QueryTaskByHashCodeRequest(HashCode=response.Data), timeout=10).Data
    assert (stored.Channel, stored.Owner, stored.Input, stored.State) == ("mail", 7, '{"to": "a@b"}', "WAITING")
    assert (stored.RetryCount, stored.RetryMaxLimit, stored.Prior, stored.Next) == (0, 3, 0, 0)
    assert stored.CreateTime and stored.UpdateTime and stored.HashCode == response.Data
    assert task(stub, stored.ID) == stored
    assert list(QueueTaskEvent.objects.filter(task_id=stored.ID).values_list("kind", flat=True)) == ["created"]


def test_a_given_hash_code_is_an_idempotency_key(stub: QueuesStub) -> None:
    first = create_response(stub, Channel="mail", HashCode="order-42", Input="one", RetryMaxLimit=5)
    again = create_response(stub, Channel="mail", HashCode="order-42", Input="two")
    assert (first.State, first.Data) == (200, "order-42")
    assert (again.State, again.Data) == (200, "order-42") and "already" in again.Message
    assert QueueTask.objects.count() == 1
    assert QueueTask.objects.get().input == "one" and QueueTask.objects.get().retry_max_limit == 5


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "Channel: is required"),
        ({"Input": "x"}, "Channel: is required"),
        ({"Channel": "c" * 201}, "Channel: is longer than 200 characters"),
        ({"Channel": "a\x00b"}, "Channel: must not contain NUL characters"),
        ({"Channel": "c", "HashCode": "h" * 129}, "HashCode: is longer than 128 characters"),
        ({"Channel": "c", "Input": "\x00"}, "Input: must not contain NUL characters"),
        ({"Channel": "c", "Next": 5}, "Next: is set by creating the following task"),
        ({"Channel": "c", "RetryMaxLimit": 101}, "RetryMaxLimit: must be at most 100"),
        ({"Channel": "c", "Owner": HUGE}, "Owner: must be at most"),
    ],
)
def test_bad_tasks_are_refused_with_400_and_nothing_is_written(stub: QueuesStub, fields: dict, message: str) -> None:
    response = create_response(stub, **fields)
    assert response.State == 400 and response.Message.startswith(message) and response.Data == ""
    assert not QueueTask.objects.exists()


def test_a_request_without_a_task_is_a_400(stub: QueuesStub) -> None:
    response = stub.CreateTask(pb.CreateTaskRequest(), timeout=10)
    assert response.State == 400 and response.Message == "Channel: is required"


def test_unknown_ids_and_hash_codes_are_404(stub: QueuesStub) -> None:
    for task_id in (0, 999, HUGE):
        found = stub.QueryTaskByID(pb.QueryTaskByIDRequest(ID=task_id), timeout=10)
        assert (found.State, found.Message, found.HasField("Data")) == (404, f"ID: no task {task_id}", False)
        cancelled = stub.CancelTaskByID(pb.CancelTaskByIDRequest(ID=task_id), timeout=10)
        assert cancelled.State == 404 and len(cancelled.Data) == 0
    missing = stub.QueryTaskByHashCode(pb.QueryTaskByHashCodeRequest(HashCode="nope"), timeout=10)
    assert missing.State == 404 and "nope" in missing.Message
    empty = stub.QueryTaskByHashCode(pb.QueryTaskByHashCodeRequest(HashCode=""), timeout=10)
    assert empty.State == 400 and empty.Message == "HashCode: is required"


def test_query_by_owner_pages_oldest_first_with_a_total(stub: QueuesStub) -> None:
    ids = [create(stub, Owner=9, Input=str(n)).ID for n in range(5)]
    create(stub, Owner=8)

    def page(**paging: int) -> pb.QueryTaskByOwnerResponse:
        return stub.QueryTaskByOwner(pb.QueryTaskByOwnerRequest(Owner=9, **paging), timeout=10)

    second = page(Limit=2, Offset=2)
    assert (second.State, second.Total, [t.ID for t in second.Data]) == (200, 5, ids[2:4])
    assert [t.ID for t in page().Data] == ids
    assert page(Offset=HUGE).Total == 5 and len(page(Offset=HUGE).Data) == 0
    too_many = page(Limit=1001)
    assert too_many.State == 400 and too_many.Message == "Limit: must be at most 1000"
    nobody = stub.QueryTaskByOwner(pb.QueryTaskByOwnerRequest(Owner=HUGE), timeout=10)
    assert (nobody.State, nobody.Total, len(nobody.Data)) == (200, 0, 0)
    ownerless = stub.QueryTaskByOwner(pb.QueryTaskByOwnerRequest(Limit=5), timeout=10)  # Owner 0 is no owner
    assert (ownerless.State, ownerless.Message, len(ownerless.Data)) == (400, "Owner: is required", 0)


def test_length_counts_only_tasks_ready_to_hand_out(stub: QueuesStub) -> None:
    head = create(stub, channel="etl")
    create(stub, channel="etl", Prior=head.ID)  # waits for its prior
    create(stub, channel="other")
    assert length(stub, "etl") == 1 and length(stub, "other") == 1 and length(stub, "empty") == 0
    bad = stub.QueryLengthByChannel(pb.QueryLengthByChannelRequest(Channel=""), timeout=10)
    assert bad.State == 400 and bad.Message == "Channel: is required"


def test_chains_link_prior_and_next(stub: QueuesStub) -> None:
    head = create(stub)
    follower = create(stub, Prior=head.ID)
    assert task(stub, head.ID).Next == follower.ID and follower.Prior == head.ID and follower.State == "WAITING"
    second = create_response(stub, Channel="work", Prior=head.ID)
    assert second.State == 400 and second.Message == f"Prior: task {head.ID} is already followed by task {follower.ID}"
    unknown = create_response(stub, Channel="work", Prior=12345)
    assert unknown.State == 404 and unknown.Message == "Prior: no task 12345"
    assert QueueTask.objects.count() == 2


def test_cancel_takes_the_rest_of_the_chain(stub: QueuesStub) -> None:
    first = create(stub)
    second = create(stub, Prior=first.ID)
    third = create(stub, Prior=second.ID)
    response = stub.CancelTaskByID(pb.CancelTaskByIDRequest(ID=second.ID), timeout=10)
    assert response.State == 200 and [(t.ID, t.State) for t in response.Data] == [(second.ID, "CANCEL"), (third.ID, "CANCEL")]
    assert task(stub, first.ID).State == "WAITING"
    again = stub.CancelTaskByID(pb.CancelTaskByIDRequest(ID=third.ID), timeout=10)
    assert again.State == 400 and again.Message == f"ID: task {third.ID} is already CANCEL"
    after_cancelled = create_response(stub, Channel="work", Prior=third.ID)
    assert after_cancelled.State == 400 and "its chain has ended" in after_cancelled.Message


def test_cancelling_a_ready_task_takes_it_out_of_the_queue(stub: QueuesStub) -> None:
    ready = create(stub)
    assert length(stub) == 1
    stub.CancelTaskByID(pb.CancelTaskByIDRequest(ID=ready.ID), timeout=10)
    assert length(stub) == 0 and task(stub, ready.ID).State == "CANCEL"


def test_malformed_messages_get_a_400_and_the_server_keeps_serving(channel: grpc.Channel, stub: QueuesStub) -> None:
    raw = channel.unary_unary("/standard.Queues/CreateTask", request_serializer=None, response_deserializer=None)
    for garbage in (b"\xff\xff\xff", b"\x0a\x05\x42\x03\xff\xfe\xfd"):  # a broken tag; a Channel of bad UTF-8
        answer = pb.CreateTaskResponse.FromString(raw(garbage, timeout=10))
        assert answer.State == 400 and answer.Message.startswith("malformed CreateTaskRequest")
    assert not QueueTask.objects.exists()
    assert create(stub).State == "WAITING"


def test_an_unknown_method_is_unimplemented(channel: grpc.Channel) -> None:
    missing = channel.unary_unary("/standard.Queues/DeleteEverything", request_serializer=None, response_deserializer=None)
    with pytest.raises(grpc.RpcError) as raised:
        missing(b"", timeout=10)
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED
