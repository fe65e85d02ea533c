"""The crontab dialect end to end: tasks added over the API, fired by the scheduler's steps,
run by a real Celery worker on real Redis against a real HTTP receiver and a real JSON-RPC
server, and the log read back through query_task_status."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from werkzeug import Request, Response

from tasks_app import services
from tasks_app.models import Execution, Job
from tasks_app.tasks import send_executions
from tests.api_app.crontab.conftest import Crontab, soon, task
from tests.conftest import wait_for
from tests.jsonrpc_server import RpcError, serving

pytestmark = pytest.mark.usefixtures("celery_worker")


def fire_until(condition: Callable[[], Any], *, timeout: float = 30, message: str) -> Any:
    """The scheduler's steps, looped (bounded) until ``condition`` holds."""

    def fired() -> Any:
        services.claim_due_occurrences()
        services.dispatch_due_executions(send=send_executions)
        return condition()

    return wait_for(fired, timeout=timeout, every=0.2, message=message)


class Recorder:
    """What the receiver was sent, and answers in turn (the last one repeats)."""

    def __init__(self, *answers: str) -> None:
        self.seen: list[dict[str, Any]] = []
        self.answers = list(answers) or ["ok"]
        self.lock = threading.Lock()

    def __call__(self, request: Request) -> Response:
        with self.lock:
            self.seen.append(
                {"method": request.method, "type": request.content_type, "data": request.get_data(as_text=True), "form": dict(request.form)}
            )
            answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return Response(answer)


def log_of(crontab: Crontab, task_id: int) -> list[dict[str, Any]]:
    return crontab.query({"task_id": task_id})["log_list"]


def test_single_and_interval_tasks_call_with_json_and_form_bodies(crontab: Crontab, receiver) -> None:
    json_hook, form_hook = Recorder(), Recorder()
    receiver.expect_request("/json").respond_with_handler(json_hook)
    receiver.expect_request("/form").respond_with_handler(form_hook)
    single, interval = (r["task_id"] for r in crontab.add(
        task("single", type=1, start_time=soon(1), url=receiver.url_for("/json"), body='{"order": 7}'),
        task("interval", type=2, start_time="@every 1s", url=receiver.url_for("/form"), body='{"a": "1", "b": 2}', body_type=2),
    ))  # fmt: skip
    fire_until(lambda: json_hook.seen and len(form_hook.seen) >= 2, message="the single call and two interval calls")
    crontab.results("update_task", {"task_id": interval, "enable": 2})
    assert json_hook.seen == [{"method": "POST", "type": "application/json", "data": '{"order": 7}', "form": {}}]
    assert form_hook.seen[0]["type"] == "application/x-www-form-urlencoded" and form_hook.seen[0]["form"] == {"a": "1", "b": "2"}
    [entry] = log_of(crontab, single)  # a single task stays queryable after it ran
    assert (entry["run_type"], entry["status"], entry["body"], entry["resp"]) == (1, 2, '{"order": 7}', "ok")
    assert Job.objects.get(pk=single).state == "finished"
    assert {(e["run_type"], e["status"]) for e in log_of(crontab, interval)} == {(1, 2)}


def test_regexp_failing_responses_are_retried_as_redo_param_says(crontab: Crontab, receiver) -> None:
    hook = Recorder('{"ok": false}', '{"ok": false}', '{"ok": true}')
    receiver.expect_request("/flaky").respond_with_handler(hook)
    task_id = crontab.added(
        **task("flaky", type=1, start_time=soon(0), url=receiver.url_for("/flaky"), resp_regexp='"ok":\\s*true', redo_param="1 1")
    )
    fire_until(lambda: Execution.objects.filter(job_id=task_id, status="succeeded").exists(), message="the second retry to succeed")
    log = log_of(crontab, task_id)
    assert [(e["run_type"], e["status"], e["resp"]) for e in log] == [
        (2, 2, '{"ok": true}'),
        (2, 3, '{"ok": false}'),
        (1, 3, '{"ok": false}'),
    ]
    first, second, _ = Execution.objects.filter(job_id=task_id).order_by("attempt")
    assert (second.started_at - first.finished_at).total_seconds() >= 1  # redo_param's first delay
    assert len(hook.seen) == 3


def test_rpc_tasks_call_a_jsonrpc_server_and_retry_its_errors(crontab: Crontab) -> None:
    refusals = iter([RpcError("busy")])

    def multiply(args: dict[str, int]) -> int:
        refusal = next(refusals, None)
        if refusal:
            raise refusal
        return args["A"] * args["B"]

    with serving({"Arith.Multiply": multiply}) as server:
        url = f"{server.address}/Arith.Multiply"
        task_id = crontab.added(
            **task("rpc", type=1, start_time=soon(0), method="rpc", url=url, body='{"A": 6, "B": 7}', resp_regexp="^42$", redo_param="0")
        )
        fire_until(lambda: Execution.objects.filter(job_id=task_id, status="succeeded").exists(), message="the rpc retry to succeed")
    assert [request["params"] for request in server.requests] == [[{"A": 6, "B": 7}]] * 2
    retry, first = log_of(crontab, task_id)
    assert (first["run_type"], first["status"], first["url"]) == (1, 3, url)
    assert json.loads(first["resp"])["error"] == "busy"
    sent = json.loads(first["body"])
    assert (sent["method"], sent["params"], sent["id"]) == ("Arith.Multiply", [{"A": 6, "B": 7}], server.requests[0]["id"])
    assert (retry["run_type"], retry["status"], json.loads(retry["resp"])["result"]) == (2, 2, 42)


def test_run_again_runs_a_disabled_task_on_the_worker_and_retries_stop(crontab: Crontab, receiver) -> None:
    hook = Recorder("nope")
    receiver.expect_request("/strict").respond_with_handler(hook)
    task_id = crontab.added(**task("strict", enable=2, url=receiver.url_for("/strict"), resp_regexp="^yes$", redo_param="0 0"))
    crontab.results("run_again_task", {"name": "strict"})
    fire_until(lambda: Execution.objects.filter(job_id=task_id, status="failed").count() == 3, message="three failed attempts")
    fire_until(
        lambda: len(hook.seen) == 3 and not Execution.objects.filter(job_id=task_id, status__in=["queued", "running"]).exists(),
        timeout=5,
        message="no fourth attempt",
    )
    assert [(e["run_type"], e["status"]) for e in log_of(crontab, task_id)] == [(2, 3), (2, 3), (3, 3)]
    assert not Job.objects.get(pk=task_id).enabled
