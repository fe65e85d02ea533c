"""schedulesecond as it runs in production: real beat and worker processes fire it, and its
lateness is measured where it lands, at the receiving service."""

from __future__ import annotations

import json
import time

import pytest
from werkzeug import Request, Response

from tasks_app.models import Execution, Job
from tests.api_app.hangfire.conftest import post
from tests.conftest import wait_for
from tests.factories import make_service

pytestmark = pytest.mark.e2e
# The scheduler's lateness target, as tests/test_end_to_end.py holds the platform to it.
LATENESS_TARGET_SECONDS = 2.0


def test_schedulesecond_lands_on_time_at_consumer_and_route(api, processes, receiver) -> None:
    arrivals: dict[str, float] = {}

    def arrived(request: Request) -> Response:
        arrivals[request.path] = time.time()
        return Response('{"returnCode": 0}', content_type="application/json")

    receiver.expect_request("/consume").respond_with_handler(arrived)
    receiver.expect_request("/orders/create").respond_with_handler(arrived)
    make_service(base_url=receiver.url_for("/"), consumer_path="/consume", routes={7: "/orders/create"})
    processes.worker()
    processes.beat()
    time.sleep(3)  # both processes up before the jobs are due
    body = {"serviceId": 2001, "messageId": 7, "data": json.dumps({"orderId": 5}), "delay": 3}
    consume = Job.objects.get(pk=post(api, "schedulesecond", body).json()["data"]["jobId"])
    transfer = Job.objects.get(pk=post(api, "schedulesecondtransfor", body).json()["data"]["jobId"])
    wait_for(lambda: Execution.objects.filter(status="succeeded").count() == 2, timeout=30, message="both calls")
    for path, job in (("/consume", consume), ("/orders/create", transfer)):
        lateness = arrivals[path] - job.next_fire_at.timestamp()
        assert 0 <= lateness < LATENESS_TARGET_SECONDS, f"{path} arrived {lateness:.3f}s after it was due\n{processes.log('beat')}"
