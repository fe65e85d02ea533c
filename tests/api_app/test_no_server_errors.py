"""No input reaches a 500, on every endpoint of every dialect: the malformed inputs of issue 18
are sent to each endpoint the URL configuration has (found by walking it, so a new endpoint is
covered by being added) with each method, and every answer must be a 4xx (or the endpoint's
ordinary answer, when it never reads what was malformed), in the dialect's JSON envelope, with
nothing written."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from api_app.queues.views import METHODS as QUEUE_METHODS
from tasks_app.models import Execution, Job, QueueTask, Service, ServiceRoute
from tasks_app.services import registry
from tests.factories import make_job

pytestmark = pytest.mark.django_db
SKIPPED = ("admin/", "api/docs")  # HTML pages for people, not API endpoints
DEEP = "[" * 50_000 + "]" * 50_000
DEEPISH = '{"a": ' * 100 + "1" + "}" * 100  # under the parser's recursion limit, over 64 levels


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def _concrete(route: str, ids: dict[str, str]) -> list[str]:
    """The paths a route answers, its parameters filled with rows that exist."""
    path = "/" + route.replace("^", "").replace("/?$", "").replace("\\.", ".")
    if path.startswith("/(?:"):  # the catch-all of unknown paths under each dialect's prefix
        return [f"/{prefix}/no-such-endpoint" for prefix in re.match(r"/\(\?:([^)]*)\)", path).group(1).split("|")]  # type: ignore[union-attr]
    if "(?P<method>" in path:
        return [re.sub(r"\(\?P<method>[^)]*\)", name, path) for name in sorted(QUEUE_METHODS)]
    return [re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: ids.get(m.group(1), "1"), path)]


def endpoints(ids: dict[str, str]) -> list[str]:
    routes = [r for r in _walk(get_resolver().url_patterns) if not r.replace("^", "").startswith(SKIPPED)]
    return [path for route in routes for path in _concrete(route, ids)]


@pytest.fixture
def world(api: APIClient) -> dict[str, str]:
    """One of everything an endpoint can name, so the paths reach their views."""
    job = make_job()
    execution = Execution.objects.create(job=job, scheduled_for=job.created_at, due_at=job.created_at, status="failed")
    service = registry.create_service(service_id=4242, base_url="http://127.0.0.1:9")
    registry.create_route(service=service, message_id=7, path="/t")
    return {"pk": str(job.pk), "service_id": "4242", "message_id": "7", "execution": str(execution.pk), "namespace": job.namespace}


def counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Job, Execution, Service, ServiceRoute, QueueTask))


def send(api: APIClient, method: str, path: str, **kwargs: Any) -> Any:
    return getattr(api, method.lower())(path, **kwargs)


# What an endpoint answers when it never reads the malformed part (healthz: no worker runs here).
ORDINARY = {200, 201, 202, 204}
HEALTH = "/healthz"


def sweep(api: APIClient, world: dict[str, str], methods: tuple[str, ...], **kwargs: Any) -> dict[str, int]:
    """Every endpoint with every method. Returns the answers that are neither a 4xx (in JSON,
    having written nothing) nor the endpoint's ordinary answer."""
    problems = {}
    for path in endpoints(world):
        for method in methods:
            before = counts()
            response = send(api, method, path, **kwargs)
            status = response.status_code
            if 400 <= status < 500:
                assert counts() == before, f"{method} {path} answered {status} but wrote"
                assert status == 405 or response["Content-Type"].startswith("application/json"), (
                    f"{method} {path}: {response.content[:200]!r}"
                )
            elif status not in ORDINARY and not (path == HEALTH and status == 503):
                problems[f"{method} {path}"] = status
    return problems


BODY_METHODS = ("POST", "PUT", "PATCH")


@pytest.mark.parametrize(
    "raw, named",
    [
        (DEEP, "nested deeper than 64"),
        (DEEPISH, "nested deeper than 64"),
        ('{"namespace": "a\\u0000b", "name": "x"}', "NUL"),
        ('{"namespace": "\\ud800", "name": "x"}', "surrogate"),
        ('{"a": NaN}', "NaN"),
        ("\xff\xfe not utf-8", ""),
    ],
    ids=["deep-array", "deep-object", "nul", "surrogate", "nan", "not-utf8"],
)
def test_malformed_json_bodies_are_4xx_everywhere(api, world, raw, named) -> None:
    body = raw.encode("latin-1") if raw.startswith("\xff") else raw.encode()
    assert sweep(api, world, BODY_METHODS, data=body, content_type="application/json") == {}
    answer = api.post("/api/v1/jobs", data=body, content_type="application/json")
    assert answer.status_code == 400 and named in json.dumps(answer.json())


def test_bodies_over_the_upload_limit_are_413_in_each_dialects_envelope(api, world) -> None:
    big = json.dumps({"data": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    assert sweep(api, world, BODY_METHODS, data=big, content_type="application/json") == {}
    statuses = {f"POST {path}": api.post(path, data=big, content_type="application/json").status_code for path in endpoints(world)}
    assert statuses["POST /api/v1/jobs"] == statuses["POST /xtimer/creatTimer"] == statuses["POST /crontab/add_task"] == 413
    assert (
        statuses["POST /api/hangfire/enqueue"] == statuses["POST /dispatchserver/add.do"] == statuses["POST /api/queues/CreateTask"] == 413
    )
    form = api.post(
        "/dispatchserver/add.do",
        data="a=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
        content_type="application/x-www-form-urlencoded",
    )
    assert form.status_code == 413 and form.json()["success"] is False
    assert api.post("/crontab/add_task", data=big, content_type="application/json").json()["state"] == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"QUERY_STRING": "namespace=%00&name=x"},
        {"QUERY_STRING": "a%00b=1"},
        {"HTTP_X_REQUEST_ID": "a\r\nX-Injected: 1"},
        {"HTTP_X_TRACE": "a\x00b"},
    ],
    ids=["nul-in-query-value", "nul-in-query-name", "crlf-in-header", "nul-in-header"],
)
def test_nul_and_crlf_in_query_and_headers_are_400_everywhere(api, world, kwargs) -> None:
    for path in endpoints(world):
        for method in ("GET", "POST"):
            before = counts()
            response = send(api, method, path, **kwargs)
            expected = {400, 405} if path != HEALTH else {200, 503}  # healthz reads neither query nor headers
            assert response.status_code in expected, (method, path, response.status_code, response.content[:300])
            assert counts() == before


def test_a_nul_in_a_form_field_is_400(api, world) -> None:
    response = api.post("/dispatchserver/pause.do", data="groupCode=a%00&jobCode=b", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and response.json()["success"] is False and "NUL" in response.json()["error"]


@pytest.mark.parametrize("job", ["null", "1e3", "99999999999999999999999", "-1", "١"])
def test_an_execution_filter_that_is_not_an_id_is_400(api, job) -> None:
    response = api.get("/api/v1/executions", {"job": job})
    assert response.status_code == 400 and response.json()["field"] == "job"


@pytest.mark.parametrize(
    "path", ["/api/v1/jobs/99999999999999999999999", "/api/v1/services/-99999999999999999999999", "/api/v1/executions/1e3"]
)
def test_ids_out_of_range_in_paths_are_404(api, path) -> None:
    assert api.get(path).status_code == 404
