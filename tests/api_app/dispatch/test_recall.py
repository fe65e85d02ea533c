"""Recalls as the callee sees them: a real HTTP receiver and a real TCP server get the recall
document; asynchronous ones are completed over real HTTP at /taskcallback/updateTaskLog, or
failed when their deadline passes without a report."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.utils import timezone
from werkzeug import Request, Response

from tasks_app import services
from tasks_app.models import Execution, Job
from tasks_app.tasks import send_executions
from tests.api_app.dispatch.wire import ADD, add_body, http_recall, send, simple_task, socket_recall
from tests.conftest import wait_for
from tests.tcp import LineServer

ONCE_NOW = {"intervalType": "NULL"}
ACCEPTED = json.dumps({"success": "true", "resultValue": None, "asynchronized": "true"})
REF = {"jobName": "tick", "groupName": "billing"}


def add_and_run_now(api, recall: dict[str, Any]) -> Execution:
    """Add a task, run it once with trigger.do and make the attempt here (as a worker would)."""
    assert send(api, ADD, add_body(simple_task({"interval": 1, "intervalType": "HOUR", "isForever": True}), recall)).status_code == 200
    execution_id = int(send(api, "/dispatchserver/trigger.do", REF).json()["resultValue"])
    services.run_execution(execution_id=execution_id)
    return Execution.objects.get(pk=execution_id)


def report(live_server: Any, token: str, *, form: bool = False, **fields: Any) -> requests.Response:
    """The callee's report, over HTTP, as its own client would send it."""
    url, headers = f"{live_server.url}/taskcallback/updateTaskLog", {"Authorization": f"Token {token}"}
    if form:
        return requests.post(url, data=fields, headers=headers, timeout=10)
    return requests.post(url, json=fields, headers=headers, timeout=10)


def fire_due() -> None:
    services.claim_due_occurrences()
    services.dispatch_due_executions(send=send_executions)


@pytest.mark.usefixtures("celery_worker")
def test_sync_http_recall_through_the_worker(api, receiver) -> None:
    documents: list[Any] = []
    receiver.expect_request("/recall", method="POST").respond_with_handler(
        lambda request: (documents.append(request.json), Response('{"success": true, "resultValue": "done"}'))[1]
    )
    task = simple_task(ONCE_NOW, name="once")
    assert send(api, ADD, add_body(task, http_recall(receiver.url_for("/recall"), data='{"order": 7}')), "form").status_code == 200
    fire_due()
    job = Job.objects.get(dialect="dispatch", name="once")
    execution = wait_for(lambda: Execution.objects.filter(job=job, status="succeeded").first(), timeout=20, message="the recall")
    assert documents == [{"data": '{"order": 7}', "tasklogid": str(execution.pk)}]
    assert json.loads(execution.response_body)["resultValue"] == "done"


@pytest.mark.usefixtures("celery_worker")
def test_async_http_recall_through_the_worker_completed_by_update_task_log(api, receiver, live_server, token) -> None:
    receiver.expect_request("/recall").respond_with_data(ACCEPTED)
    assert send(api, ADD, add_body(simple_task(ONCE_NOW), http_recall(receiver.url_for("/recall")))).status_code == 200
    fire_due()
    execution = wait_for(lambda: Execution.objects.filter(awaiting_report=True).first(), timeout=20, message="the accepted recall")
    assert execution.status == "running" and execution.finished_at is None
    answer = report(live_server, token, id=str(execution.pk), success="true", resultValue={"rows": 3})
    assert answer.status_code == 200 and answer.json() == {"success": True, "error": None, "resultValue": None}
    execution.refresh_from_db()
    assert execution.status == "succeeded" and not execution.awaiting_report and json.loads(execution.response_body) == {"rows": 3}


def test_async_recall_reported_as_failed_in_a_form(api, receiver, live_server, token) -> None:
    receiver.expect_request("/recall").respond_with_data(ACCEPTED)
    execution = add_and_run_now(api, http_recall(receiver.url_for("/recall")))
    assert execution.status == "running" and execution.awaiting_report
    answer = report(live_server, token, form=True, id=execution.pk, success="false", resultValue="out of stock")
    assert answer.json()["success"] is True
    execution.refresh_from_db()
    assert execution.status == "failed" and execution.response_body == "out of stock" and execution.error == "reported as failed"


def test_async_recall_without_a_report_fails_at_its_deadline(api, receiver, live_server, token, settings) -> None:
    settings.DISPATCH_ASYNC_DEADLINE_SECONDS = 30
    receiver.expect_request("/recall").respond_with_data(ACCEPTED)
    before = timezone.now()
    execution = add_and_run_now(api, http_recall(receiver.url_for("/recall")))
    assert before + timedelta(seconds=30) <= execution.deadline_at <= timezone.now() + timedelta(seconds=30)
    assert services.recover_lost_executions(now=execution.deadline_at - timedelta(seconds=1)) == 0
    assert services.recover_lost_executions(now=execution.deadline_at + timedelta(seconds=1)) == 1
    execution.refresh_from_db()
    assert execution.status == "failed" and execution.error == "no report before the deadline" and execution.finished_at
    assert Execution.objects.count() == 1 and len(receiver.log) == 1  # failed, not called again
    late = report(live_server, token, id=execution.pk, success=True)
    assert late.status_code == 400 and late.json()["success"] is False and "already failed" in late.json()["error"]


def test_a_report_that_arrives_before_the_accepted_answer_stands(api, receiver, live_server, token) -> None:
    def report_first(request: Request) -> Response:
        reported = report(live_server, token, id=request.json["tasklogid"], success=True, resultValue="quick")
        assert reported.status_code == 200, reported.text
        return Response(ACCEPTED)

    receiver.expect_request("/recall").respond_with_handler(report_first)
    execution = add_and_run_now(api, http_recall(receiver.url_for("/recall")))
    assert execution.status == "succeeded" and not execution.awaiting_report
    assert execution.response_body == "quick" and execution.response_status == 200


def test_refused_http_recall_fails(api, receiver) -> None:
    receiver.expect_request("/recall").respond_with_data('{"success": "false", "error": "unknown order"}')
    execution = add_and_run_now(api, http_recall(receiver.url_for("/recall")))
    assert execution.status == "failed" and "unknown order" in execution.error


@pytest.mark.usefixtures("celery_worker")
def test_sync_socket_recall_through_the_worker(api) -> None:
    with LineServer(lambda line: b'{"success": "true", "resultValue": "ok"}\n') as server:
        task = simple_task(ONCE_NOW, name="once")
        assert send(api, ADD, add_body(task, socket_recall(server.port, data={"order": 7})), "strings").status_code == 200
        fire_due()
        execution = wait_for(lambda: Execution.objects.filter(status="succeeded").first(), timeout=20, message="the recall")
    assert server.documents() == [{"data": {"order": 7}, "tasklogid": str(execution.pk)}]
    assert execution.request["port"] == server.port and execution.response_body.startswith('{"success"')


def test_async_socket_recall_completed_by_update_task_log(api, live_server, token) -> None:
    with LineServer(lambda line: ACCEPTED.encode() + b"\n") as server:
        execution = add_and_run_now(api, socket_recall(server.port))
    assert execution.status == "running" and execution.awaiting_report
    assert report(live_server, token, id=execution.pk, success="true").json()["success"] is True
    execution.refresh_from_db()
    assert execution.status == "succeeded"


def test_socket_recall_without_a_reply_fails(api, settings) -> None:
    settings.CALLBACK_DEFAULT_TIMEOUT_SECONDS = 1
    with LineServer(lambda line: None) as server:
        execution = add_and_run_now(api, socket_recall(server.port))
    assert execution.status == "failed" and "TimeoutError" in execution.error


def test_a_finished_attempt_cannot_be_reported_again(api, receiver) -> None:
    receiver.expect_request("/recall").respond_with_data('{"success": true}')
    execution = add_and_run_now(api, http_recall(receiver.url_for("/recall")))
    response = send(api, "/taskcallback/updateTaskLog", {"id": execution.pk, "success": "false"}, "form")
    assert response.status_code == 400 and "already succeeded" in response.json()["error"]
    execution.refresh_from_db()
    assert execution.status == "succeeded"


# PostgreSQL's jsonb would put "note" (shorter) before "order", and sort the nested object too.
ORDERED = {"order": 7, "note": "x", "lines": [{"zeta": 1, "alpha": 2}]}
ORDERED_TEXT = '{"order": 7, "note": "x", "lines": [{"zeta": 1, "alpha": 2}]}'


@pytest.mark.parametrize("encoding", ["nested", "form"])
def test_object_data_reaches_an_http_recall_with_its_keys_in_the_order_given(api, receiver, encoding: str) -> None:
    bodies: list[str] = []
    receiver.expect_request("/recall", method="POST").respond_with_handler(
        lambda request: (bodies.append(request.get_data(as_text=True)), Response('{"success": true}'))[1]
    )
    hourly = simple_task({"interval": 1, "intervalType": "HOUR", "isForever": True})
    assert send(api, ADD, add_body(hourly, http_recall(receiver.url_for("/recall"), data=ORDERED)), encoding).status_code == 200
    execution_id = int(send(api, "/dispatchserver/trigger.do", REF).json()["resultValue"])
    services.run_execution(execution_id=execution_id)
    assert bodies == [f'{{"data": {ORDERED_TEXT}, "tasklogid": "{execution_id}"}}']


def test_object_data_reaches_a_socket_recall_with_its_keys_in_the_order_given(api) -> None:
    with LineServer(lambda line: b'{"success": true}\n') as server:
        execution = add_and_run_now(api, socket_recall(server.port, data=ORDERED))
    assert execution.status == "succeeded" and server.lines == [f'{{"data": {ORDERED_TEXT}, "tasklogid": "{execution.pk}"}}']
