"""Jobs made through the hangfire endpoints, run by a real Celery worker on real Redis, calling
local services that a real HTTP server plays."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from django.utils import timezone
from werkzeug import Request, Response

from tasks_app import services
from tasks_app.models import Execution, Job
from tasks_app.tasks import send_executions
from tests.api_app.hangfire.conftest import post
from tests.conftest import wait_for
from tests.factories import make_service

pytestmark = pytest.mark.usefixtures("celery_worker")
ENQUEUE = {"serviceId": 2001, "messageId": 7, "data": '{"orderId": 5}', "clientIp": "10.0.0.9"}


def fire_due(now: datetime | None = None) -> None:
    """What beat does on each tick (optionally as if it were ``now``)."""
    services.claim_due_occurrences(now=now)
    services.dispatch_due_executions(send=send_executions, now=now)


class Recorder:
    """Answers each request with the next reply (the last one repeats) and keeps what came."""

    def __init__(self, *replies: Response) -> None:
        self.replies = list(replies) or [Response('{"returnCode": 0}', content_type="application/json")]
        self.requests: list[dict] = []

    def __call__(self, request: Request) -> Response:
        self.requests.append({"headers": dict(request.headers), "body": request.get_data(as_text=True), "method": request.method})
        return self.replies[min(len(self.requests), len(self.replies)) - 1]


def _listen(receiver, path: str, *replies: Response) -> Recorder:
    recorder = Recorder(*replies)
    receiver.expect_request(path).respond_with_handler(recorder)
    return recorder


def _settled(job_id: str, status: str = "succeeded") -> Execution:
    def done() -> Execution | None:
        fire_due()
        return Execution.objects.filter(job_id=job_id, status=status).first()

    return wait_for(done, timeout=20, message=f"an attempt of job {job_id} to be {status}")


def test_enqueue_calls_the_consumer_with_the_excute_contract(api, receiver) -> None:
    make_service(base_url=receiver.url_for("/"), consumer_path="/api/hangfire/excute", headers={"X-Token": "t"})
    consumer = _listen(receiver, "/api/hangfire/excute")
    reply = post(api, "enqueue", ENQUEUE, HTTP_X_REQUEST_ID="req-1").json()
    _settled(reply["data"]["jobId"])
    [call] = consumer.requests
    assert json.loads(call["body"]) == {"jobId": reply["data"]["jobId"], "serviceId": 2001, "messageId": 7, "data": '{"orderId": 5}'}
    assert call["method"] == "POST" and call["headers"]["Content-Type"] == "application/json"
    assert (call["headers"]["X-Request-Id"], call["headers"]["X-Forwarded-For"], call["headers"]["X-Token"]) == ("req-1", "10.0.0.9", "t")


def test_enqueuetransfor_forwards_data_to_the_route(api, receiver) -> None:
    make_service(base_url=receiver.url_for("/"), routes={7: "/orders/create"})
    route = _listen(receiver, "/orders/create", Response("created", status=201))
    reply = post(api, "enqueuetransfor", ENQUEUE | {"xRequestId": "req-2"}, HTTP_X_FORWARDED_FOR="10.7.7.7").json()
    execution = _settled(reply["data"]["jobId"])
    [call] = route.requests
    assert json.loads(call["body"]) == {"orderId": 5} and call["headers"]["Content-Type"] == "application/json"
    assert (call["headers"]["X-Request-Id"], call["headers"]["X-Forwarded-For"]) == ("req-2", "10.0.0.9")
    assert execution.response_status == 201 and execution.response_body == "created"


def test_a_duplicate_request_id_makes_one_call(api, receiver) -> None:
    make_service(base_url=receiver.url_for("/"), consumer_path="/consume")
    consumer = _listen(receiver, "/consume")
    first = post(api, "enqueue", ENQUEUE | {"xRequestId": "once"}).json()["data"]
    again = post(api, "enqueue", ENQUEUE, HTTP_X_REQUEST_ID="once").json()["data"]
    _settled(first["jobId"])
    late = post(api, "enqueue", ENQUEUE | {"xRequestId": "once"}).json()["data"]
    fire_due()
    assert first["jobId"] == again["jobId"] == late["jobId"] and Job.objects.count() == 1
    assert len(consumer.requests) == 1 and Execution.objects.count() == 1


def test_a_failed_call_is_retried_per_the_services_policy(api, receiver) -> None:
    make_service(base_url=receiver.url_for("/"), consumer_path="/consume", retry={"delays_seconds": [0, 0]})
    busy = Response('{"returnCode": 1, "returnMessage": "try later"}', content_type="application/json")
    consumer = _listen(receiver, "/consume", Response("down", status=503), busy, Response('{"returnCode": 0}'))
    job_id = post(api, "enqueue", ENQUEUE).json()["data"]["jobId"]
    _settled(job_id)
    attempts = list(Execution.objects.filter(job_id=job_id).order_by("attempt").values_list("attempt", "status", "error"))
    assert attempts == [(1, "failed", "HTTP 503"), (2, "failed", "returnCode 1: try later"), (3, "succeeded", "")]
    assert len(consumer.requests) == 3


def test_a_service_unregistered_before_the_call_fails_for_good(api, receiver) -> None:
    service = make_service(base_url=receiver.url_for("/"), consumer_path="/consume", retry={"delays_seconds": [0, 0]})
    consumer = _listen(receiver, "/consume")
    job_id = post(api, "enqueue", ENQUEUE).json()["data"]["jobId"]
    services.registry.delete_service(service=service)
    execution = _settled(job_id, status="failed")
    assert execution.error == "service 2001 is not registered" and not consumer.requests
    assert Execution.objects.filter(job_id=job_id).count() == 1


def test_schedule_waits_its_minutes_then_fires(api, receiver) -> None:
    make_service(base_url=receiver.url_for("/"), consumer_path="/consume")
    consumer = _listen(receiver, "/consume")
    job = Job.objects.get(pk=post(api, "schedule", ENQUEUE | {"delay": 2}).json()["data"]["jobId"])
    assert 119 <= (job.next_fire_at - timezone.now()).total_seconds() <= 120
    fire_due()
    assert not Execution.objects.filter(job=job).exists()
    fire_due(now=job.next_fire_at)  # as beat does when the two minutes are up
    execution = wait_for(lambda: Execution.objects.filter(job=job, status="succeeded").first(), timeout=20, message="the call")
    assert execution.scheduled_for == job.next_fire_at and len(consumer.requests) == 1
