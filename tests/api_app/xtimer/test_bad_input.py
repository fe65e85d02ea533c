"""Every bad request: a non-zero code in the 9020s, a 4xx, a message naming the problem, and
nothing written."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django_celery_beat.models import PeriodicTask

from tasks_app.models import Execution, Job
from tests.api_app.xtimer.conftest import XtimerClient, seed_timer

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:9/notify"
APP = "est ad amet tempor proident"
NOTIFY = {"url": URL, "method": "GET"}


def _without(data: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != key}


def _nothing_written() -> None:
    assert (Job.objects.count(), PeriodicTask.objects.count(), Execution.objects.count()) == (0, 0, 0)


def _seed_notify(**changes: Any) -> str:
    return json.dumps({"method": "GET", "url": URL} | changes)


@pytest.mark.parametrize(
    ("timer", "named"),
    [
        (_without(seed_timer(URL), "app"), "app"),
        (_without(seed_timer(URL), "name"), "name"),
        (_without(seed_timer(URL), "cron"), "cron"),
        (_without(seed_timer(URL), "notifyHTTPParam"), "notifyHTTPParam"),
        (seed_timer(URL, app=""), "app"),
        (seed_timer(URL, name="   "), "name"),
        (seed_timer(URL, app=42), "app"),
        (seed_timer(URL, name="x" * 201), "name"),
        (seed_timer(URL, cron="ex exercitation in sed"), "cron"),  # the seed's own placeholder
        (seed_timer(URL, cron="61 * * * *"), "cron"),
        (seed_timer(URL, cron="* * * * * * * *"), "cron"),
        (seed_timer(URL, cron=["*"] * 5), "cron"),
        (seed_timer(URL, status="enabled"), "status"),
        (seed_timer(URL, notifyHTTPParam='{"method": "GET", "url": '), "notifyHTTPParam"),
        (seed_timer(URL, notifyHTTPParam="[1, 2]"), "notifyHTTPParam"),
        (seed_timer(URL, notifyHTTPParam=7), "notifyHTTPParam"),
        (seed_timer(URL, notifyHTTPParam=_seed_notify(url=None)), "notifyHTTPParam.url"),
        (seed_timer(URL, notifyHTTPParam={"method": "GET"}), "notifyHTTPParam.url"),
        (seed_timer(URL, notifyHTTPParam={"url": URL}), "notifyHTTPParam.method"),
        (seed_timer(URL, notifyHTTPParam=_seed_notify(method="FETCH")), "notifyHTTPParam.method"),
        (seed_timer(URL, notifyHTTPParam=_seed_notify(url="ftp://example.com/")), "notifyHTTPParam.url"),
        (seed_timer(URL, notifyHTTPParam=_seed_notify(url="not a url")), "notifyHTTPParam.url"),
        (seed_timer(URL, notifyHTTPParam=_seed_notify(header=["a"])), "notifyHTTPParam.header"),
        (seed_timer(URL, notifyHTTPParam=_seed_notify(header={"a": {"b": 1}})), "notifyHTTPParam.header"),
        (seed_timer(URL, notifyHTTPParam=_seed_notify(body=12)), "notifyHTTPParam.body"),
        (seed_timer(URL, timeZone="Mars/Olympus_Mons"), "timeZone"),
        (seed_timer(URL, retry=[100, -1]), "retry.1"),
        (seed_timer(URL, retry="3 times"), "retry"),
        (seed_timer(URL, retry=[10**30]), "retry"),
        (seed_timer(URL, timeoutMs=0), "timeoutMs"),
        (seed_timer(URL, timeoutMs=10**9), "timeoutMs"),
    ],
)
def test_bad_timer_is_rejected_naming_the_field(xtimer: XtimerClient, timer: dict[str, Any], named: str) -> None:
    answer = xtimer.create(timer)
    assert (answer.status, answer.code) == (400, 9021), answer.body
    assert answer.body["message"].startswith(f"{named}: ") and "data" not in answer.body
    _nothing_written()


@pytest.mark.parametrize(
    ("method", "raw", "content_type", "status"),
    [
        ("POST", '{"app": "a", ', "application/json", 400),
        ("POST", '["app", "name"]', "application/json", 400),
        ("POST", '"just a string"', "application/json", 400),
        ("POST", "app=a&name=b", "application/x-www-form-urlencoded", 415),
        ("POST", json.dumps(seed_timer(URL)), "text/plain", 415),
        ("GET", "", "application/json", 405),
        ("PUT", json.dumps(seed_timer(URL)), "application/json", 405),
    ],
)
def test_unreadable_create_is_input_invalid(xtimer: XtimerClient, method: str, raw: str, content_type: str, status: int) -> None:
    answer = xtimer.call(method, "creatTimer", raw=raw, content_type=content_type)
    assert (answer.status, answer.code) == (status, 9020) and answer.body["message"]
    _nothing_written()


def test_duplicate_app_and_name_is_create_failed(xtimer: XtimerClient) -> None:
    timer_id = xtimer.created_id(seed_timer(URL))
    answer = xtimer.create(seed_timer(URL, status=2))
    assert (answer.status, answer.code) == (409, 9022) and "test1" in answer.body["message"]
    assert list(Job.objects.values_list("pk", "enabled")) == [(timer_id, False)]
    assert xtimer.create(seed_timer(URL, app="another app")).code == 0  # the name is unique per app only


@pytest.mark.parametrize("path", ["enableTimer", "unableTimer", "getTimer", "getTasks", "delTimer"])
@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"timerId": 1}, "app"),
        ({"app": APP}, "timerId"),
        ({"app": APP, "timerId": "first"}, "timerId"),
        ({"app": APP, "timerId": "-3"}, "timerId"),
        ({"app": APP, "id": "abc"}, "id"),
        ({"app": APP, "timerId": 1, "id": 2}, "timerId"),
        ({"app": APP, "timerId": 2**64}, "timerId"),
    ],
)
def test_bad_timer_reference_is_bad_param(xtimer: XtimerClient, path: str, query: dict[str, Any], named: str) -> None:
    timer_id = xtimer.created_id(seed_timer(URL))
    method = "DELETE" if path == "delTimer" else "GET"
    answer = xtimer.call(method, path, query={k: timer_id if v == 1 else v for k, v in query.items()})
    assert (answer.status, answer.code) == (400, 9021) and answer.body["message"].startswith(f"{named}: ")
    assert list(Job.objects.values_list("pk", "enabled")) == [(timer_id, False)]


@pytest.mark.parametrize(("path", "code"), [("enableTimer", 9023), ("unableTimer", 9023), ("getTimer", 9024), ("getTasks", 9024)])
def test_unknown_timer_id_is_not_found(xtimer: XtimerClient, path: str, code: int) -> None:
    answer = xtimer.call("GET", path, query={"app": APP, "timerId": 424242})
    assert (answer.status, answer.code) == (404, code) and "424242" in answer.body["message"]
    answer = xtimer.call("DELETE", "delTimer", body={"app": APP, "id": 424242})
    assert (answer.status, answer.code) == (404, 9024)
    _nothing_written()


@pytest.mark.parametrize(
    ("path", "query", "named"),
    [
        ("getTimers", {}, "app"),
        ("getTimers", {"app": APP, "pageIndex": "two"}, "pageIndex"),
        ("getTimers", {"app": APP, "pageIndex": -1}, "pageIndex"),
        ("getTimers", {"app": APP, "pageSize": 100_000}, "pageSize"),
        ("getTimers", {"app": APP, "pageIndex": 10**20}, "pageIndex"),
        ("getTimersByName", {"app": APP}, "name"),
        ("getTimersByName", {"name": "x"}, "app"),
        ("getTasks", {"app": APP, "timerId": 1, "pageSize": "ten"}, "pageSize"),
    ],
)
def test_bad_listing_is_bad_param(xtimer: XtimerClient, path: str, query: dict[str, Any], named: str) -> None:
    answer = xtimer.call("GET", path, query=query)
    assert (answer.status, answer.code) == (400, 9021) and answer.body["message"].startswith(f"{named}: ")


def test_body_that_is_not_an_object_on_a_timer_endpoint(xtimer: XtimerClient) -> None:
    answer = xtimer.call("DELETE", "delTimer", raw="[1]")
    assert (answer.status, answer.code) == (400, 9020)
    answer = xtimer.call("GET", "enableTimer", query={"app": APP, "id": 1}, raw="{oops")
    assert (answer.status, answer.code) == (400, 9020)
