"""Every HTTP call made for a job is signed per Standard Webhooks with its namespace's secret,
verified here by the specification's own Python library at a real receiver, with a real worker on
real Redis: across a retry, a secret rotation and the next occurrence, and for every kind."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from werkzeug import Request, Response

from tasks_app import services
from tasks_app.models import Execution, Job
from tasks_app.services import signing
from tasks_app.tasks import send_executions
from tests.api_app.dispatch.wire import add_body, cron_task, http_recall
from tests.api_app.xtimer.conftest import seed_timer
from tests.conftest import wait_for
from tests.factories import make_job, make_service

pytestmark = pytest.mark.usefixtures("celery_worker", "fresh_secrets")


@pytest.fixture
def fresh_secrets(settings: Any) -> None:
    """The worker (a thread here) reads secrets at every call, so a rotation shows at once."""
    settings.SIGNING_SECRET_CACHE_SECONDS = 0


class Recorder:
    """Keeps each request's headers and exact body bytes; answers with the next reply."""

    def __init__(self, *replies: Response) -> None:
        self.replies = list(replies) or [Response('{"success": true}', content_type="application/json")]
        self.requests: list[tuple[dict[str, str], bytes]] = []

    def __call__(self, request: Request) -> Response:
        self.requests.append((dict(request.headers), request.get_data()))
        return self.replies[min(len(self.requests), len(self.replies)) - 1]


def listen(receiver: Any, path: str, *replies: Response) -> Recorder:
    recorder = Recorder(*replies)
    receiver.expect_request(path).respond_with_handler(recorder)
    return recorder


def verified(secret: str, call: tuple[dict[str, str], bytes]) -> bool:
    try:
        Webhook(secret).verify(call[1], call[0], json_parse=False)
    except WebhookVerificationError:
        return False
    return True


def calls(recorder: Recorder, count: int) -> list[tuple[dict[str, str], bytes]]:
    def arrived() -> bool:
        services.claim_due_occurrences()
        services.dispatch_due_executions(send=send_executions)
        return len(recorder.requests) >= count

    wait_for(arrived, timeout=20, message=f"{count} call(s) at the receiver")
    return recorder.requests


def test_a_retry_keeps_the_id_a_rotation_signs_with_both_and_the_next_occurrence_has_its_own(receiver) -> None:
    recorder = listen(receiver, "/hook", Response("busy", status=500), Response("ok"))
    job = make_job(namespace="billing", url=receiver.url_for("/hook"), retry={"delays_seconds": [1]}, trigger={"kind": "now"})
    before = signing.signing_secret(namespace="billing").secret
    first = calls(recorder, 1)[0]
    after = signing.rotate_signing_secret(namespace="billing").secret
    retried = calls(recorder, 2)[1]
    assert verified(before, first) and not verified(after, first)
    assert verified(before, retried) and verified(after, retried) and len(retried[0]["Webhook-Signature"].split(" ")) == 2
    assert first[0]["Webhook-Id"] == retried[0]["Webhook-Id"]
    services.trigger_job(job=job)
    following = calls(recorder, 3)[2]
    assert verified(after, following) and following[0]["Webhook-Id"] != first[0]["Webhook-Id"]
    assert not verified(signing.new_secret(), following)


def test_a_previous_secret_stops_signing_after_its_grace(receiver) -> None:
    recorder = listen(receiver, "/hook")
    old = signing.signing_secret(namespace="ops").secret
    with override_settings(SIGNING_SECRET_GRACE_SECONDS=0):
        new = signing.rotate_signing_secret(namespace="ops").secret
    make_job(namespace="ops", url=receiver.url_for("/hook"))
    [call] = calls(recorder, 1)
    assert verified(new, call) and not verified(old, call)


def secret_of(api: Any, namespace: str) -> str:
    return api.get(f"/api/v1/namespaces/{namespace}/signing-secret").json()["secret"]


def run_now(**lookup: str) -> None:
    services.trigger_job(job=Job.objects.get(**lookup))


def test_every_kind_of_http_call_is_signed(api, receiver) -> None:
    recorder = listen(receiver, "/any")
    url = receiver.url_for("/any")
    make_service(service_id=300, base_url=receiver.url_for("/"), consumer_path="/any", routes={7: "/any"})
    api.post("/api/hangfire/enqueue", {"serviceId": 300, "messageId": 7, "data": "{}"}, format="json")
    api.post("/api/hangfire/enqueuetransfor", {"serviceId": 300, "messageId": 7, "data": '{"a": 1}'}, format="json")
    api.post("/dispatchserver/add.do", add_body(cron_task(group="disp"), http_recall(url)), format="json")
    run_now(namespace="disp")
    api.post("/xtimer/creatTimer", seed_timer(url, app="xt"), format="json")
    run_now(namespace="xt")
    task = {"name": "ct", "module": "cron", "type": 4, "start_time": "0 30 2 * * *", "url": url, "method": "post", "body": '{"b": 2}'}
    api.post("/crontab/add_task", {"task_list": [task]}, format="json")
    run_now(namespace="cron")
    form = {"kind": "http", "url": url, "body": {"c": "3"}, "body_format": "form"}
    services.create_job(namespace="forms", name="f", trigger={"kind": "now"}, callback=form)
    received = calls(recorder, 6)
    namespaces = [Execution.objects.get(pk=int(headers["X-Execution-Id"])).job.namespace for headers, _ in received]
    assert sorted(namespaces) == ["cron", "disp", "forms", "service-300", "service-300", "xt"]
    for namespace, call in zip(namespaces, received, strict=True):
        assert verified(secret_of(api, namespace), call), namespace
        assert not verified(secret_of(api, "someone-else"), call)
