"""TaskProducerService (seed 000): its six POST endpoints with EnqueueTaskReq / ScheduleTaskReq in
their JSON names; the answer carries TaskVoidRes's returnMessage."""

from __future__ import annotations

import pytest

from tests.api_app.contracts.conftest import Client, json_types
from tests.factories import make_service

ENQUEUE_TASK_REQ = {"clientIp": "10.0.0.8", "xRequestId": "req-1", "serviceId": 2001, "messageId": 7, "data": '{"orderId": 5}'}
SCHEDULE_TASK_REQ = ENQUEUE_TASK_REQ | {"delay": 3}
ENDPOINTS = {
    "enqueue": ENQUEUE_TASK_REQ,
    "schedule": SCHEDULE_TASK_REQ,
    "schedulesecond": SCHEDULE_TASK_REQ,
    "enqueuetransfor": ENQUEUE_TASK_REQ,
    "scheduletransfor": SCHEDULE_TASK_REQ,
    "schedulesecondtransfor": SCHEDULE_TASK_REQ,
}
REPLY = {"returnCode": "number", "returnMessage": "string", "data": {"jobId": "string", "xRequestId": "string", "duplicate": "boolean"}}
ERROR = {"returnCode": "number", "returnMessage": "string", "data": {"code": "string", "field": "string"}}


@pytest.fixture(autouse=True)
def service(transactional_db: None) -> None:
    make_service(service_id=2001, consumer_path="/api/hangfire/excute", routes={7: "/orders/create"})


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_each_method_takes_its_request_message(client: Client, endpoint: str) -> None:
    request = ENDPOINTS[endpoint] | {"xRequestId": f"req-{endpoint}"}
    answer = client.call("POST", f"/api/hangfire/{endpoint}", json=request)
    assert (answer.status, json_types(answer.body)) == (200, REPLY)
    assert (answer.body["returnCode"], answer.body["returnMessage"], answer.body["data"]["xRequestId"]) == (0, "success", f"req-{endpoint}")


def test_a_refusal_is_in_the_envelope(client: Client) -> None:
    answer = client.call("POST", "/api/hangfire/enqueue", json=ENQUEUE_TASK_REQ | {"serviceId": 3000})
    assert (answer.status, json_types(answer.body), answer.body["returnCode"]) == (400, ERROR, 400)
