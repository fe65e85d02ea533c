"""ReceiveQueueByChannel and ReportTaskResult over a real gRPC server: chains, concurrent
receivers, dropped streams, retries up to the limit, leases and zombie reports."""

from __future__ import annotations

import threading
from datetime import timedelta

import grpc
import pytest
from django.utils import timezone

from api_app.grpc.generated import standard_pb2 as pb
from api_app.grpc.generated.standard_pb2_grpc import QueuesStub
from tasks_app import services
from tasks_app.models import QueueTask, QueueTaskEvent
from tests.api_app.grpc.client import Receiver, Reporter, create, length, task
from tests.api_app.grpc.tokens import authorized, staff_key
from tests.conftest import wait_for

SUCCESS, FAILURE, RETRY, CANCEL = 1, 2, 3, 4


def history(task_id: int) -> list[str]:
    return list(QueueTaskEvent.objects.filter(task_id=task_id).order_by("id").values_list("kind", flat=True))


def test_receive_then_report_success(stub: QueuesStub, receivers: list[Receiver], reporter: Reporter) -> None:
    created = create(stub, Input="2+2")
    receivers.append(receiver := Receiver(stub))
    handed = receiver.take("work")
    assert (handed.ID, handed.State, handed.Input) == (created.ID, "PROCEEDING", "2+2")
    assert length(stub) == 0
    answer = reporter.report(created.ID, SUCCESS, "4")
    assert (answer.State, answer.Message, answer.Data) == (200, "OK", created.ID)
    done = task(stub, created.ID)
    assert (done.State, done.Output) == ("SUCCESS", "4")
    assert history(created.ID) == ["created", "handed_out", "succeeded"]


def test_oldest_first_and_a_waiting_stream_gets_the_next_task(stub: QueuesStub, receivers: list[Receiver]) -> None:
    older, newer = create(stub), create(stub)
    receivers.append(receiver := Receiver(stub))
    assert [receiver.take("work").ID, receiver.take("work").ID] == [older.ID, newer.ID]
    pending = receiver.ask("work")  # the stream holds this request open while nothing is ready
    later = create(stub)
    assert pending.result(timeout=10).Tasks.ID == later.ID


def test_a_chain_runs_in_order_and_passes_output_on(stub: QueuesStub, receivers: list[Receiver], reporter: Reporter) -> None:
    first = create(stub, Input="seed")
    second = create(stub, Prior=first.ID)  # empty Input: receives the prior's Output
    third = create(stub, Prior=second.ID, Input="own input")
    receivers.append(receiver := Receiver(stub))
    assert receiver.take("work").ID == first.ID
    assert length(stub) == 0 and task(stub, second.ID).State == "WAITING"
    reporter.report(first.ID, SUCCESS, "seed+1")
    handed = receiver.take("work")
    assert (handed.ID, handed.Input) == (second.ID, "seed+1")
    reporter.report(second.ID, SUCCESS, "seed+2")
    assert (receiver.take("work").ID, task(stub, third.ID).Input) == (third.ID, "own input")
    assert history(second.ID) == ["created", "ready", "handed_out", "succeeded"]


def test_a_task_after_a_finished_prior_is_ready_at_once(stub: QueuesStub, receivers: list[Receiver], reporter: Reporter) -> None:
    first = create(stub)
    receivers.append(receiver := Receiver(stub))
    receiver.take("work")
    reporter.report(first.ID, SUCCESS, "result")
    late = create(stub, Prior=first.ID)
    assert (late.Input, length(stub)) == ("result", 1)


def test_concurrent_receivers_never_get_the_same_task(stub: QueuesStub, receivers: list[Receiver], reporter: Reporter) -> None:
    created = {create(stub, channel="busy", Input=str(n)).ID for n in range(40)}
    receivers.extend(Receiver(stub) for _ in range(8))
    taken: list[int] = []
    asked = [0]
    lock = threading.Lock()

    def drain(receiver: Receiver) -> None:
        for _ in range(len(created)):
            with lock:  # exactly one request per task, spread over the receivers as they come free
                if asked[0] == len(created):
                    return
                asked[0] += 1
            handed = receiver.ask("busy").result(timeout=20).Tasks.ID
            with lock:
                taken.append(handed)

    threads = [threading.Thread(target=drain, args=(receiver,)) for receiver in receivers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(taken) == sorted(created), "every task handed out exactly once"
    assert QueueTask.objects.filter(state="PROCEEDING", deliveries=1).count() == 40


def test_a_dropped_stream_gives_its_unreported_tasks_back_at_once(stub: QueuesStub, receivers: list[Receiver], reporter: Reporter) -> None:
    reported, unreported = create(stub), create(stub)
    dropped = Receiver(stub)
    assert [dropped.take("work").ID, dropped.take("work").ID] == [reported.ID, unreported.ID]
    reporter.report(reported.ID, SUCCESS, "done")
    dropped.cancel()
    wait_for(lambda: task(stub, unreported.ID).State == "WAITING", timeout=10, message="the task to come back")
    back = task(stub, unreported.ID)
    assert back.RetryCount == 1 and task(stub, reported.ID).State == "SUCCESS"
    receivers.append(other := Receiver(stub))
    assert other.take("work").ID == unreported.ID
    assert history(unreported.ID) == ["created", "handed_out", "returned", "handed_out"]


def test_a_closed_channel_gives_its_tasks_back(grpc_port: int, stub: QueuesStub) -> None:
    held = create(stub)
    with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as own:
        receiver = Receiver(QueuesStub(authorized(own, staff_key())))
        receiver.take("work")
        assert task(stub, held.ID).State == "PROCEEDING"
    wait_for(lambda: task(stub, held.ID).State == "WAITING", timeout=10, message="the task to come back")


def test_a_stream_without_more_requests_stays_open_until_its_tasks_are_reported(stub: QueuesStub, reporter: Reporter) -> None:
    held = create(stub)
    receiver = Receiver(stub)
    receiver.take("work")
    receiver.close()  # no more requests; the worker still works on what it has
    assert task(stub, held.ID).State == "PROCEEDING" and not receiver.done()
    assert reporter.report(held.ID, SUCCESS, "late but fine").State == 200
    wait_for(receiver.done, timeout=10, message="the stream to end")
    assert receiver.code() == grpc.StatusCode.OK and task(stub, held.ID).State == "SUCCESS"


def test_a_stream_without_more_requests_still_gives_back_when_dropped(stub: QueuesStub) -> None:
    held = create(stub)
    receiver = Receiver(stub)
    receiver.take("work")
    receiver.close()
    receiver.cancel()
    wait_for(lambda: task(stub, held.ID).State == "WAITING", timeout=10, message="the task to come back")


def test_failures_retry_up_to_the_limit_then_fail_and_cancel_the_chain(
    stub: QueuesStub, receivers: list[Receiver], reporter: Reporter
) -> None:
    flaky = create(stub, RetryMaxLimit=2)
    follower = create(stub, Prior=flaky.ID)
    receivers.append(receiver := Receiver(stub))
    for attempt in range(3):  # a limit of 2: at most 3 deliveries
        assert receiver.take("work").RetryCount == attempt
        assert reporter.report(flaky.ID, FAILURE if attempt != 1 else RETRY, f"boom {attempt}").State == 200
    failed = task(stub, flaky.ID)
    assert (failed.State, failed.RetryCount, failed.Output) == ("FAILURE", 2, "boom 2")
    assert task(stub, follower.ID).State == "CANCEL" and length(stub) == 0
    assert history(flaky.ID)[1:] == ["handed_out", "failed", "handed_out", "retry_requested", "handed_out", "failed"]
    late = reporter.report(flaky.ID, SUCCESS, "too late")
    assert late.State == 400 and late.Message == f"ID: task {flaky.ID} is FAILURE, not PROCEEDING: its lease ended or it was settled"


def test_a_worker_may_cancel_its_task_and_the_chain(stub: QueuesStub, receivers: list[Receiver], reporter: Reporter) -> None:
    first = create(stub)
    second = create(stub, Prior=first.ID)
    receivers.append(receiver := Receiver(stub))
    receiver.take("work")
    assert reporter.report(first.ID, CANCEL, "not needed").Data == first.ID
    assert (task(stub, first.ID).State, task(stub, second.ID).State) == ("CANCEL", "CANCEL")


def test_an_expired_lease_retries_and_refuses_the_zombie_report(stub: QueuesStub, receivers: list[Receiver], reporter: Reporter) -> None:
    slow = create(stub, RetryMaxLimit=1)
    receivers.append(receiver := Receiver(stub))
    receiver.take("work")
    later = timezone.now() + timedelta(seconds=31)  # past the 30 s lease
    assert services.sweep_queue_tasks(now=later) == 1
    assert (task(stub, slow.ID).State, task(stub, slow.ID).RetryCount) == ("WAITING", 1)
    zombie = reporter.report(slow.ID, SUCCESS, "from the worker that lost it")
    assert zombie.State == 400 and "WAITING, not PROCEEDING" in zombie.Message
    assert receiver.take("work").ID == slow.ID
    assert services.sweep_queue_tasks(now=later + timedelta(seconds=31)) == 1
    assert task(stub, slow.ID).State == "FAILURE" and task(stub, slow.ID).Output == ""
    assert history(slow.ID)[-1] == "lease_expired"


def test_bad_reports_are_answered_and_the_stream_goes_on(channel: grpc.Channel, stub: QueuesStub, receivers: list[Receiver]) -> None:
    held = create(stub)
    receivers.append(receiver := Receiver(stub))
    receiver.take("work")
    reporter = Reporter(stub)
    for state in (0, 5, 2**64 - 1):
        refused = reporter.report(held.ID, state)
        assert refused.State == 400 and refused.Message == "State: must be 1 (success), 2 (failure), 3 (retry) or 4 (cancel)"
    assert reporter.report(999_999, SUCCESS).State == 404
    assert reporter.report(held.ID, SUCCESS, "\x00").State == 400
    assert task(stub, held.ID).State == "PROCEEDING"
    assert reporter.report(held.ID, SUCCESS, "ok").State == 200
    reporter.close()
    raw = channel.stream_stream("/standard.Queues/ReportTaskResult", request_serializer=None, response_deserializer=None)
    answers = list(raw(iter([b"\xff\xff", pb.ReportTaskResultRequest(ID=held.ID, State=SUCCESS).SerializeToString()]), timeout=10))
    assert [pb.ReportTaskResultResponse.FromString(a).State for a in answers] == [400, 400]


@pytest.mark.parametrize(("request_bytes", "message"), [(b"\x0a\x00", "Channel: is required"), (b"\xff\xff", "malformed")])
def test_a_bad_receive_request_ends_that_stream_only(channel: grpc.Channel, stub: QueuesStub, request_bytes: bytes, message: str) -> None:
    raw = channel.stream_stream("/standard.Queues/ReceiveQueueByChannel", request_serializer=None, response_deserializer=None)
    with pytest.raises(grpc.RpcError) as raised:
        list(raw(iter([request_bytes]), timeout=10))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT and message in raised.value.details()
    assert create(stub).State == "WAITING"


def test_stopping_the_server_gives_held_tasks_back(grpc_port: int, stub: QueuesStub) -> None:
    from api_app.grpc.server import QueuesServer

    second = QueuesServer(bind="127.0.0.1", port=0, max_workers=8)
    port = second.start()
    held = create(stub)
    with grpc.insecure_channel(f"127.0.0.1:{port}") as own:
        receiver = Receiver(QueuesStub(authorized(own, staff_key())))
        receiver.take("work")
        second.stop(grace=0)
    assert QueueTask.objects.get(pk=held.ID).state == "WAITING"
