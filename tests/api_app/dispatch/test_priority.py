"""priority: when more tasks are due than workers are free, the higher priority runs first
(Celery priorities on Redis). A real worker process with one slot is kept busy by a slow recall
while tasks of different priorities become due; the receiver sees them in priority order."""

from __future__ import annotations

import threading

import pytest
from werkzeug import Request, Response

from tasks_app import services
from tasks_app.tasks import send_executions
from tests.api_app.dispatch.wire import ADD, add_body, http_recall, send, simple_task
from tests.conftest import wait_for

pytestmark = pytest.mark.e2e


def add_due_now(api, receiver, name: str, priority: int) -> None:
    task = simple_task({"intervalType": "NULL"}, name=name, priority=priority)
    assert send(api, ADD, add_body(task, http_recall(receiver.url_for("/recall"), data=name))).status_code == 200


def fire_due() -> None:
    services.claim_due_occurrences()
    services.dispatch_due_executions(send=send_executions)


def test_higher_priority_runs_first_when_the_worker_is_busy(api, processes, receiver) -> None:
    busy, release, order = threading.Event(), threading.Event(), []

    def recall(request: Request) -> Response:
        if request.json["data"] == "slow":
            busy.set()
            release.wait(timeout=20)
        else:
            order.append(request.json["data"])
        return Response('{"success": true}')

    receiver.expect_request("/recall").respond_with_handler(recall)
    processes.worker(concurrency=1)
    add_due_now(api, receiver, "slow", 5)
    fire_due()
    assert busy.wait(timeout=40), processes.log("worker")
    for priority in (1, 3, 5, 7, 9):  # sent lowest first: first-in-first-out would run them in this order
        add_due_now(api, receiver, f"p{priority}", priority)
        fire_due()
    release.set()
    wait_for(lambda: len(order) == 5, timeout=30, message=f"five recalls, got {order}")
    assert order == ["p9", "p7", "p5", "p3", "p1"]
