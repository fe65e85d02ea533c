"""Timers that really fire: a real Celery worker on the real Redis queue calls a real local HTTP
server; firing is the scheduler's own services (claim, then dispatch) in a bounded loop."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import pytest
from werkzeug import Request, Response

from tasks_app import services
from tasks_app.models import Execution, ExecutionStatus, Job
from tasks_app.tasks import send_executions
from tests.api_app.xtimer.conftest import XtimerClient, seed_timer
from tests.conftest import wait_for

pytestmark = pytest.mark.usefixtures("celery_worker")

APP = "est ad amet tempor proident"
FINISHED = (ExecutionStatus.SUCCEEDED, ExecutionStatus.FAILED)


@dataclass
class Call:
    method: str
    headers: dict[str, str]
    body: str


class Calls:
    """What the receiver got, in order; ``answer`` decides each response."""

    def __init__(self, answer: Any = None) -> None:
        self.received: list[Call] = []
        self.answer = answer or (lambda request: Response("notified"))
        self.lock = threading.Lock()

    def __call__(self, request: Request) -> Response:
        with self.lock:
            self.received.append(Call(request.method, dict(request.headers), request.get_data(as_text=True)))
        return self.answer(request)

    def __len__(self) -> int:
        with self.lock:
            return len(self.received)


def fire_until(condition: Any, *, timeout: float = 20, message: str = "condition") -> Any:
    """The scheduler's two steps, repeated until ``condition`` holds (bounded)."""

    def step() -> Any:
        services.claim_due_occurrences()
        services.dispatch_due_executions(send=send_executions)
        return condition()

    return wait_for(step, timeout=timeout, every=0.2, message=message)


def settle(timer_id: int) -> list[Execution]:
    """Every execution of the timer finished (none queued or running)."""
    wait_for(lambda: not Execution.objects.filter(job_id=timer_id).exclude(status__in=FINISHED).exists(), timeout=15, message="settled")
    return list(Execution.objects.filter(job_id=timer_id).order_by("-id"))


def test_seed_example_timer_notifies_every_second_once_enabled_and_stops_when_unabled(xtimer: XtimerClient, receiver) -> None:
    calls = Calls()
    receiver.expect_request("/notify").respond_with_handler(calls)
    timer_id = xtimer.created_id(seed_timer(receiver.url_for("/notify")))  # status 1: disabled
    fire_until(lambda: True)
    assert len(calls) == 0 and not Execution.objects.filter(job_id=timer_id).exists()

    assert xtimer.enable(APP, timer_id).body == {"code": 0, "message": "ok"}
    fire_until(lambda: len(calls) >= 3, message="three notifications")
    assert xtimer.unable(APP, timer_id).code == 0
    executions = settle(timer_id)
    fire_until(lambda: True)  # one more pass: a disabled timer claims nothing
    assert Execution.objects.filter(job_id=timer_id).count() == len(executions) == len(calls)

    assert {(c.method, c.body) for c in calls.received} == {("GET", "consectetur dolore consequat irure in")}
    # The seed's header name has an underscore, which the receiver's WSGI server drops; what
    # was sent is on record.
    assert all(e.request["headers"]["Duis_c8"] == "culpa ex in" for e in executions)
    runs = [e.scheduled_for for e in executions]
    assert runs == sorted(runs, reverse=True) and all(r.microsecond == 0 for r in runs)


def test_object_form_sends_method_headers_and_body_as_given_and_tasks_report_them(xtimer: XtimerClient, receiver) -> None:
    calls = Calls(lambda request: Response('{"accepted": true}'))
    receiver.expect_request("/hook", method="PUT").respond_with_handler(calls)
    notify = {"url": receiver.url_for("/hook"), "method": "put", "header": {"X-Trace-Id": "t-1", "Content-Type": "application/json"},
              "body": {"order": 7}}  # fmt: skip
    timer_id = xtimer.created_id({"app": "shop", "name": "orders", "status": 2, "cron": "* * * * * *", "notifyHTTPParam": notify})
    fire_until(lambda: len(calls) >= 2, message="two notifications")
    xtimer.unable("shop", timer_id)
    executions = settle(timer_id)

    call = calls.received[0]
    assert (call.method, json.loads(call.body)) == ("PUT", {"order": 7})
    assert call.headers["X-Trace-Id"] == "t-1" and call.headers["Content-Type"] == "application/json"
    tasks = xtimer.tasks("shop", timer_id, pageSize=1).data
    newest = executions[0]
    assert tasks["total"] == len(executions) and len(tasks["tasks"]) == 1
    assert tasks["tasks"][0] == {
        "taskId": newest.pk, "timerId": timer_id, "runTime": round(newest.scheduled_for.timestamp() * 1000),
        "status": 2, "output": '{"accepted": true}', "costTime": newest.lateness_ms,
    }  # fmt: skip
    assert isinstance(newest.lateness_ms, int) and newest.lateness_ms >= 0
    second = xtimer.tasks("shop", timer_id, pageIndex=2, pageSize=1).data["tasks"][0]
    assert second["taskId"] == executions[1].pk and second["runTime"] < tasks["tasks"][0]["runTime"]


def test_a_failed_notify_is_not_retried_by_default_and_is_reported_as_failed(xtimer: XtimerClient, receiver) -> None:
    calls = Calls(lambda request: Response("boom", status=500))
    receiver.expect_request("/down").respond_with_handler(calls)
    timer = {
        "app": "ops",
        "name": "no-retry",
        "cron": "* * * * * *",
        "notifyHTTPParam": {"url": receiver.url_for("/down"), "method": "POST"},
    }
    timer_id = xtimer.created_id(timer | {"status": 2})
    fire_until(lambda: len(calls) >= 1, message="a notification")
    xtimer.unable("ops", timer_id)
    executions = settle(timer_id)
    assert len(executions) == len(calls) and all(e.attempt == 1 for e in executions)
    task = xtimer.tasks("ops", timer_id).data["tasks"][-1]
    assert (task["status"], task["output"]) == (3, "HTTP 500: boom")


def test_retry_and_timeout_extensions(xtimer: XtimerClient, receiver) -> None:
    calls = Calls(lambda request: (time.sleep(1.0), Response("late"))[1])
    receiver.expect_request("/slow").respond_with_handler(calls)
    notify = {"url": receiver.url_for("/slow"), "method": "GET"}
    timer = {"app": "ops", "name": "slow", "status": 2, "cron": "0 0 0 1 1 *", "notifyHTTPParam": notify, "retry": [0], "timeoutMs": 300}
    timer_id = xtimer.created_id(timer)
    services.trigger_job(job=Job.objects.get(pk=timer_id))  # once now; its cron fires on New Year only
    fire_until(lambda: Execution.objects.filter(job_id=timer_id, status__in=FINISHED).count() == 2, message="the attempt and its retry")
    tasks = xtimer.tasks("ops", timer_id).data["tasks"]
    assert [task["status"] for task in tasks] == [3, 3] and all("Timeout" in task["output"] for task in tasks)
    assert wait_for(lambda: len(calls) == 2, timeout=5, message="both calls")
