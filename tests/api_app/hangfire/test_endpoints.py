"""TaskProducerService's six endpoints, black-box: the reply envelope and the job each makes."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from rest_framework.test import APIClient

from tasks_app.models import Execution, Job
from tests.api_app.hangfire.conftest import post
from tests.factories import make_service

pytestmark = pytest.mark.usefixtures("service")

ENQUEUE = {"serviceId": 2001, "messageId": 7, "data": '{"orderId": 5}'}
ENDPOINTS = [
    ("enqueue", "consume", None),
    ("schedule", "consume", 60),
    ("schedulesecond", "consume", 1),
    ("enqueuetransfor", "transfer", None),
    ("scheduletransfor", "transfer", 60),
    ("schedulesecondtransfor", "transfer", 1),
]


@pytest.mark.parametrize(("endpoint", "kind", "unit"), ENDPOINTS)
def test_each_endpoint_makes_a_job_named_by_its_request(api: APIClient, endpoint: str, kind: str, unit: int | None) -> None:
    body = ENQUEUE | ({"delay": 3} if unit else {}) | {"xRequestId": f"req-{endpoint}"}
    before = timezone.now()
    response = post(api, endpoint, body)
    assert response.status_code == 200, response.json()
    reply = response.json()
    assert (reply["returnCode"], reply["returnMessage"]) == (0, "success")
    job = Job.objects.get(pk=int(reply["data"]["jobId"]))
    assert (job.dialect, job.namespace, job.name) == ("hangfire", "service-2001", f"req-{endpoint}")
    assert job.callback == {"kind": kind, "service_id": 2001, "message_id": 7, "data": '{"orderId": 5}',
                            "request_id": f"req-{endpoint}", "client_ip": "127.0.0.1"}  # fmt: skip
    if unit is None:
        assert job.trigger["kind"] == "now" and job.next_fire_at <= timezone.now()
    else:
        assert job.trigger["kind"] == "delay" and job.trigger["seconds"] == 3 * unit
        assert before + timedelta(seconds=3 * unit) <= job.next_fire_at <= timezone.now() + timedelta(seconds=3 * unit)


@pytest.mark.parametrize("body", [ENQUEUE | {"delay": 0}, ENQUEUE])
def test_no_delay_runs_now(api: APIClient, body: dict) -> None:
    job_id = post(api, "schedulesecond", body).json()["data"]["jobId"]
    assert Job.objects.get(pk=job_id).trigger["kind"] == "now"


@pytest.mark.parametrize(("delay", "seconds"), [("5", 5), (5.0, 5), (31_536_000, 31_536_000)])
def test_delay_as_proto3_json_reads_an_int32(api: APIClient, delay: object, seconds: int) -> None:
    job_id = post(api, "schedulesecond", ENQUEUE | {"delay": delay}).json()["data"]["jobId"]
    assert Job.objects.get(pk=job_id).trigger["seconds"] == seconds


def test_request_id_body_wins_over_header_which_wins_over_a_generated_one(api: APIClient) -> None:
    both = post(api, "enqueue", ENQUEUE | {"xRequestId": "from-body"}, HTTP_X_REQUEST_ID="from-header").json()["data"]
    header = post(api, "enqueue", ENQUEUE, HTTP_X_REQUEST_ID="from-header").json()["data"]
    generated = post(api, "enqueue", ENQUEUE).json()["data"]
    assert (both["xRequestId"], header["xRequestId"]) == ("from-body", "from-header")
    assert uuid.UUID(generated["xRequestId"]) and Job.objects.get(pk=generated["jobId"]).name == generated["xRequestId"]


def test_client_ip_from_the_body_then_forwarded_for_then_the_peer(api: APIClient) -> None:
    def client_ip(body: dict, **headers: str) -> str:
        return Job.objects.get(pk=post(api, "enqueue", body, **headers).json()["data"]["jobId"]).callback["client_ip"]

    assert client_ip(ENQUEUE | {"clientIp": "10.1.1.1"}, HTTP_X_FORWARDED_FOR="10.2.2.2") == "10.1.1.1"
    assert client_ip(ENQUEUE, HTTP_X_FORWARDED_FOR="10.2.2.2, 10.9.9.9") == "10.2.2.2"
    assert client_ip(ENQUEUE, REMOTE_ADDR="10.3.3.3") == "10.3.3.3"


def test_the_same_request_id_returns_the_first_job(api: APIClient) -> None:
    first = post(api, "schedulesecond", ENQUEUE | {"delay": 30}, HTTP_X_REQUEST_ID="once").json()["data"]
    again = post(api, "schedulesecond", ENQUEUE | {"delay": 30, "xRequestId": "once"}).json()["data"]
    assert (first["duplicate"], again["duplicate"]) == (False, True) and again["jobId"] == first["jobId"]
    other_service = make_service(service_id=2002)
    elsewhere = post(api, "enqueue", ENQUEUE | {"serviceId": other_service.service_id, "xRequestId": "once"}).json()["data"]
    assert elsewhere["jobId"] != first["jobId"] and Job.objects.count() == 2


def test_after_the_window_the_request_id_makes_a_new_job(api: APIClient, settings) -> None:
    first = post(api, "enqueue", ENQUEUE | {"xRequestId": "daily"}).json()["data"]
    Job.objects.filter(pk=first["jobId"]).update(created_at=timezone.now() - timedelta(seconds=61))
    settings.HANGFIRE_IDEMPOTENCY_WINDOW_SECONDS = 60
    second = post(api, "enqueue", ENQUEUE | {"xRequestId": "daily"}).json()["data"]
    assert second["jobId"] != first["jobId"] and not second["duplicate"]
    assert Job.objects.get(pk=first["jobId"]).name == f"daily#{first['jobId']}"
    assert Job.objects.get(pk=second["jobId"]).name == "daily"


def test_retry_policy_is_the_default_unless_the_service_has_one(api: APIClient, settings) -> None:
    settings.HANGFIRE_RETRY = {"delays_seconds": [1, 2]}
    make_service(service_id=2002, retry={"max_attempts": 4, "backoff_seconds": 3})
    default = post(api, "enqueue", ENQUEUE).json()["data"]["jobId"]
    own = post(api, "enqueue", ENQUEUE | {"serviceId": 2002}).json()["data"]["jobId"]
    assert Job.objects.get(pk=default).retry == {"delays_seconds": [1, 2]}
    assert Job.objects.get(pk=own).retry == {"max_attempts": 4, "backoff_seconds": 3, "max_backoff_seconds": None}


def test_unknown_fields_such_as_common_parameters_are_ignored(api: APIClient) -> None:
    assert post(api, "enqueue", ENQUEUE | {"appId": "a1", "timestamp": 1}).json()["returnCode"] == 0


def test_paths_answer_with_a_trailing_slash(api: APIClient) -> None:
    assert post(api, "enqueue/", ENQUEUE).json()["returnCode"] == 0


BAD = [
    ("enqueue", {"messageId": 7, "data": ""}, "serviceId"),
    ("enqueue", {"serviceId": 2001, "data": ""}, "messageId"),
    ("enqueue", ENQUEUE | {"serviceId": 0}, "serviceId"),
    ("enqueue", ENQUEUE | {"serviceId": True}, "serviceId"),
    ("enqueue", ENQUEUE | {"messageId": 2**31}, "messageId"),
    ("enqueue", ENQUEUE | {"data": 123}, "data"),
    ("enqueue", ENQUEUE | {"data": {"orderId": 5}}, "data"),
    ("enqueue", ENQUEUE | {"serviceId": 3000}, "serviceId"),
    ("enqueuetransfor", ENQUEUE | {"messageId": 99}, "messageId"),
    ("enqueuetransfor", ENQUEUE | {"data": "{not json"}, "data"),
    ("enqueue", ENQUEUE | {"xRequestId": 42}, "xRequestId"),
    ("enqueue", ENQUEUE | {"xRequestId": "x" * 129}, "xRequestId"),
    ("enqueue", ENQUEUE | {"xRequestId": "a\nb"}, "xRequestId"),
    ("enqueue", ENQUEUE | {"clientIp": "1.2.3.4\r\nX-Evil: 1"}, "clientIp"),
    ("schedule", ENQUEUE | {"delay": -1}, "delay"),
    ("schedule", ENQUEUE | {"delay": 1.5}, "delay"),
    ("schedule", ENQUEUE | {"delay": "soon"}, "delay"),
    ("schedule", ENQUEUE | {"delay": None}, "delay"),
    ("schedule", ENQUEUE | {"delay": 525_601}, "delay"),
    ("schedulesecond", ENQUEUE | {"delay": 31_536_001}, "delay"),
    ("schedulesecondtransfor", ENQUEUE | {"delay": -5}, "delay"),
    ("schedule", [ENQUEUE], None),
]


def _nothing_written() -> bool:
    return not (Job.objects.exists() or Execution.objects.exists() or PeriodicTask.objects.exists())


@pytest.mark.parametrize(("endpoint", "body", "field"), BAD)
def test_bad_requests_get_a_4xx_envelope_and_write_nothing(api: APIClient, endpoint: str, body: object, field: str | None) -> None:
    response = post(api, endpoint, body)
    reply = response.json()
    assert response.status_code == 400, reply
    assert reply["returnCode"] == 400 and reply["data"]["field"] == field
    assert (field or "Invalid data") in reply["returnMessage"]
    assert _nothing_written()


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [('{"serviceId": 2001,', "application/json", 400), ('{"serviceId": 2001, "messageId": 7}', "text/plain", 415),
     ("serviceId=2001&messageId=7", "application/x-www-form-urlencoded", 415)],
)  # fmt: skip
def test_malformed_json_and_wrong_content_types(api: APIClient, content: str, content_type: str, status: int) -> None:
    response = api.post("/api/hangfire/enqueue", content, content_type=content_type)
    assert response.status_code == status and response.json()["returnCode"] == status
    assert response.json()["returnMessage"] and _nothing_written()


def test_a_token_is_required_and_only_post_is_allowed(api: APIClient) -> None:
    anonymous = APIClient().post("/api/hangfire/enqueue", ENQUEUE, format="json")
    assert anonymous.status_code == 401 and anonymous.json()["returnCode"] == 401
    wrong_method = api.get("/api/hangfire/enqueue")
    assert wrong_method.status_code == 405 and wrong_method.json()["returnCode"] == 405
    assert _nothing_written()
