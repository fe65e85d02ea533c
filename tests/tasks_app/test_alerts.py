"""Alert rules end to end: a real worker runs a job that fails and then recovers, and a real
webhook (which refuses the first notice) counts what it is told."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook as SignatureVerifier
from werkzeug import Response

from tasks_app import services
from tasks_app.models import AlertState, Execution
from tasks_app.services import signing
from tests.conftest import wait_for
from tests.factories import make_job
from tests.tasks_app.test_worker import fire_due


class Webhook:
    """Refuses its first request (so the notice is retried), then keeps what it is sent."""

    def __init__(self) -> None:
        self.requests = 0
        self.notices: list[dict[str, Any]] = []
        self.signed: list[tuple[bytes, dict[str, str]]] = []  # every request's body and headers

    def __call__(self, request: Any) -> Response:
        self.requests += 1
        self.signed.append((request.get_data(), dict(request.headers)))
        if self.requests == 1:
            return Response("not now", status=503)
        self.notices.append(json.loads(request.data))
        return Response("ok")


def run_once(job: Any, expected: str) -> None:
    execution = services.trigger_job(job=job)
    fire_due()
    wait_for(lambda: Execution.objects.filter(pk=execution.pk, status=expected).exists(), message=f"an attempt that {expected}")


@pytest.mark.usefixtures("celery_worker")
def test_failing_reminder_and_recovered_notices(receiver, settings) -> None:
    settings.ALERT_RETRY_DELAYS_SECONDS = [0.2]
    webhook = Webhook()
    receiver.expect_request("/alert", method="POST").respond_with_handler(webhook)
    answers = iter([500] * 5 + [200])
    receiver.expect_request("/job").respond_with_handler(lambda request: Response("", status=next(answers)))
    services.alerts.create_alert_rule(namespace="pay*", url=receiver.url_for("/alert"), after_failures=3, remind_every_seconds=1)
    job = make_job(namespace="payments", trigger={"kind": "delay", "seconds": 3600}, callback={"url": receiver.url_for("/job")})

    for _ in range(3):
        run_once(job, "failed")
    wait_for(lambda: len(webhook.notices) == 1, timeout=15, message="the failing notice, delivered on its second try")
    run_once(job, "failed")  # within remind_every_seconds: nothing more
    time.sleep(1.2)
    run_once(job, "failed")  # past it: one reminder
    wait_for(lambda: len(webhook.notices) == 2, timeout=15, message="a reminder")
    run_once(job, "succeeded")
    wait_for(lambda: len(webhook.notices) == 3, timeout=15, message="the recovered notice")
    time.sleep(0.5)  # nothing else arrives

    failing, reminder, recovered = webhook.notices
    assert webhook.requests == 4 and len(webhook.notices) == 3
    assert failing["event"] == "failing" and failing["failures"] == 3 and not failing["reminder"]
    assert failing["job"] == {"id": job.pk, "namespace": "payments", "name": job.name, "dialect": "v1"}
    assert failing["last_error"] == "HTTP 500" and "payments/" in failing["text"] and "3 failed" in failing["text"]
    assert reminder["event"] == "failing" and reminder["reminder"] and reminder["failures"] == 5
    assert recovered["event"] == "recovered" and "recovered" in recovered["text"]
    assert not AlertState.objects.exists()
    # Signed with the job's namespace's secret; a retried delivery keeps its webhook-id.
    verifier = SignatureVerifier(signing.signing_secret(namespace="payments").secret)
    for body, headers in webhook.signed:
        verifier.verify(body, headers, json_parse=False)
    ids = [headers["Webhook-Id"] for _, headers in webhook.signed]
    assert ids[0] == ids[1] == failing["id"] and len(set(ids)) == 3


@pytest.mark.usefixtures("celery_worker")
def test_jobs_no_rule_watches_send_nothing(receiver) -> None:
    receiver.expect_request("/job").respond_with_data("", status=500)
    webhook = Webhook()
    receiver.expect_request("/alert").respond_with_handler(webhook)
    services.alerts.create_alert_rule(namespace="billing", url=receiver.url_for("/alert"), after_failures=1)
    job = make_job(namespace="payments", trigger={"kind": "delay", "seconds": 3600}, callback={"url": receiver.url_for("/job")})
    run_once(job, "failed")
    time.sleep(0.5)
    assert webhook.requests == 0 and not AlertState.objects.exists()


@pytest.mark.django_db
def test_a_notice_is_also_mailed_once_when_the_rule_names_addresses(receiver, settings, mailoutbox) -> None:
    receiver.expect_request("/alert").respond_with_data("", status=500)
    rule = services.alerts.create_alert_rule(url=receiver.url_for("/alert"), email="ops@example.com, oncall@example.com")
    notice = {"id": "alert_1_1_failing_1", "event": "failing", "job": {"id": 1, "namespace": "billing", "name": "nightly"},
              "text": ":rotating_light: *billing/nightly* (job 1) is failing", "failures": 3}  # fmt: skip
    with pytest.raises(services.alerts.AlertNotDelivered):
        services.alerts.deliver_notice(rule_id=rule.pk, notice=notice)
    with pytest.raises(services.alerts.AlertNotDelivered):  # the retry posts again but mails no more
        services.alerts.deliver_notice(rule_id=rule.pk, notice=notice, first_try=False)
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["ops@example.com", "oncall@example.com"]
    assert mailoutbox[0].subject == notice["text"] and len(receiver.log) == 2
