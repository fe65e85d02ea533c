"""GET /metrics against a real worker: parsed with prometheus_client's own parser before and
after attempts run, the counters move by exactly what happened."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient
from werkzeug import Response

from tasks_app.models import Execution
from tasks_app.services.tenancy import create_api_client
from tests.conftest import wait_for
from tests.factories import make_job
from tests.tasks_app.test_worker import fire_due


@pytest.fixture
def prometheus(transactional_db: None) -> APIClient:
    """A client that authenticates as Prometheus does (``Authorization: Bearer <key>``), with an
    API token for every namespace."""
    _, key = create_api_client(name="prometheus", namespaces=["*"], read_only=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def scrape(client: APIClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.usefixtures("celery_worker")
def test_series_count_what_ran(prometheus, receiver, redis_client) -> None:
    receiver.expect_request("/ok").respond_with_data("fine")
    receiver.expect_request("/down").respond_with_handler(lambda request: Response("boom", status=500))
    before = scrape(prometheus)
    ok = [make_job(namespace="metrics", callback={"url": receiver.url_for("/ok")}) for _ in range(2)]
    down = make_job(namespace="metrics", callback={"url": receiver.url_for("/down")})
    paused = make_job(namespace="metrics", trigger={"kind": "delay", "seconds": 3600}, enabled=False)
    fire_due()
    wait_for(lambda: Execution.objects.filter(job__in=[*ok, down], status__in=["succeeded", "failed"]).count() == 3, message="three ends")
    after = wait_for(lambda: (s := scrape(prometheus)) and value(s, "jobplatform_callback_duration_seconds_count", kind="http") >= 3 and s)

    labels = {"dialect": "v1", "namespace": "metrics"}
    assert value(after, "jobplatform_executions_total", outcome="succeeded", **labels) == 2
    assert value(after, "jobplatform_executions_total", outcome="failed", **labels) == 1
    assert value(before, "jobplatform_executions_total", outcome="succeeded", **labels) == 0
    assert value(after, "jobplatform_fire_lateness_seconds_count") - value(before, "jobplatform_fire_lateness_seconds_count") == 3
    assert value(after, "jobplatform_fire_lateness_seconds_bucket", le="+Inf") == value(after, "jobplatform_fire_lateness_seconds_count")
    assert value(after, "jobplatform_callback_duration_seconds_sum", kind="http") > 0
    assert value(after, "jobplatform_jobs", state="paused") == 1 and paused.enabled is False
    assert value(after, "jobplatform_jobs", state="finished") == 3  # the one-shots fired
    assert ("jobplatform_queue_depth", (("kind", "celery"), ("queue", _queue()))) in after
    assert value(after, "jobplatform_workers_alive") == 1


def _queue() -> str:
    from django.conf import settings

    return settings.CELERY_TASK_DEFAULT_QUEUE


def test_needs_a_token_that_sees_every_namespace(client, db) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-a-key").status_code == 401
    _, key = create_api_client(name="billing-team", namespaces=["billing-*"])
    refused = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {key}")  # every namespace is a label value
    assert refused.status_code == 403 and "every namespace" in refused.json()["detail"]


def test_a_scrape_is_a_few_indexed_queries_whatever_the_size(prometheus, redis_client) -> None:
    for _ in range(30):
        make_job(trigger={"kind": "delay", "seconds": 3600})
    with CaptureQueriesContext(connection) as queries:
        scrape(prometheus)
    assert len(queries) <= 6, [q["sql"] for q in queries]
    # The "*" token's scope adds no per-row namespace test: the counts stay on the partial indexes.
    assert not [q["sql"] for q in queries if "REGEXP" in q["sql"].upper() or "::text ~" in q["sql"] or '" ~ ' in q["sql"]]


def test_skipped_occurrences_are_counted_as_the_claim_writes_them(prometheus, redis_client) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from tasks_app import services
    from tasks_app.models import Job

    start = timezone.now() - timedelta(seconds=100)
    job = make_job(
        namespace="missed", trigger={"kind": "interval", "every_seconds": 10, "start_at": start.isoformat()},
        misfire_policy="skip", misfire_grace_seconds=1,
    )  # fmt: skip
    Job.objects.filter(pk=job.pk).update(next_fire_at=start)  # as if the platform had been down
    services.claim_due_occurrences(now=start + timedelta(seconds=95))
    assert value(scrape(prometheus), "jobplatform_executions_total", outcome="skipped", dialect="v1", namespace="missed") == 10


@pytest.mark.django_db
def test_histograms_are_cumulative_with_their_sums(redis_client) -> None:
    from tasks_app.metrics import counters, exposition

    samples = [counters.Sample("succeeded", "v1", "h", kind="http", lateness_seconds=s, duration_seconds=s) for s in (0.003, 0.02, 2.0)]
    counters.count(samples[:2])
    counters.count(samples[2:])
    parsed = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(exposition.render().decode())
        for sample in family.samples
    }
    buckets = {le: value(parsed, "jobplatform_fire_lateness_seconds_bucket", le=le) for le in ("0.005", "0.025", "1.0", "2.5", "+Inf")}
    assert buckets == {"0.005": 1, "0.025": 2, "1.0": 2, "2.5": 3, "+Inf": 3}
    assert value(parsed, "jobplatform_fire_lateness_seconds_sum") == pytest.approx(2.023)
    assert value(parsed, "jobplatform_callback_duration_seconds_count", kind="http") == 3
    assert value(parsed, "jobplatform_executions_total", outcome="succeeded", dialect="v1", namespace="h") == 3
