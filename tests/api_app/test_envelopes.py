"""Every path under a dialect's prefix answers in that dialect's JSON envelope: a path no endpoint
has (404, any method, even the seed's own typo) and a method an endpoint does not take (405)."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from api_app.envelopes import error_response
from api_app.errors import ErrorInfo

# Each dialect's envelope keys, and where its status shows in the body.
ENVELOPES = {
    "hangfire": ({"returnCode", "returnMessage", "data"}, lambda body, status: body["returnCode"] == status),
    "xtimer": ({"code", "message"}, lambda body, status: body["code"] == 9020),
    "crontab": ({"state", "msg", "data"}, lambda body, status: body["state"] == 1),
    "dispatch": ({"success", "error", "resultValue"}, lambda body, status: body["success"] is False),
    "queues": ({"State", "Message"}, lambda body, status: body["State"] == status),
    "v1": ({"detail", "code"}, lambda body, status: body["code"] in ("not_found", "method_not_allowed")),
}
UNROUTED = [
    ("hangfire", "/api/hangfire/nope"),
    ("hangfire", "/api/hangfire/enqueue/extra"),
    ("xtimer", "/xtimer/nope"),
    ("crontab", "/crontab/nope"),
    ("dispatch", "/dispatchserver/%20trigger.do"),  # the seed's own typo, as a client sends it
    ("dispatch", "/dispatchserver/nope.do"),
    ("dispatch", "/taskcallback/nope"),
    ("queues", "/api/queues/NoSuchMethod"),
    ("queues", "/api/queues/CreateTask/extra"),
    ("v1", "/api/v1/nope"),
    ("v1", "/api/v1/jobs/1/nope"),
    ("v1", "/api/v1"),
]
WRONG_METHOD = [
    ("hangfire", "get", "/api/hangfire/enqueue"),
    ("xtimer", "put", "/xtimer/creatTimer"),
    ("crontab", "get", "/crontab/add_task"),
    ("dispatch", "get", "/dispatchserver/add.do"),
    ("dispatch", "get", "/taskcallback/updateTaskLog"),
    ("queues", "get", "/api/queues/CreateTask"),
    ("v1", "put", "/api/v1/jobs"),
]


def assert_envelope(dialect: str, response, status: int) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status and response["Content-Type"] == "application/json", response.content[:200]
    keys, says_status = ENVELOPES[dialect]
    body = json.loads(response.content)
    assert keys <= set(body) and says_status(body, status), body


@pytest.mark.parametrize(("dialect", "path"), UNROUTED)
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_an_unknown_path_is_a_404_in_the_dialects_envelope(api: APIClient, dialect: str, path: str, method: str) -> None:
    response = getattr(api, method)(path, {}, format="json")
    assert_envelope(dialect, response, 404)
    assert path.replace("%20", " ") in json.dumps(response.json())


def test_an_unknown_path_needs_no_token(db: None) -> None:
    assert_envelope("xtimer", APIClient().post("/xtimer/nope"), 404)


@pytest.mark.parametrize(("dialect", "method", "path"), WRONG_METHOD)
def test_a_wrong_method_is_a_405_in_the_dialects_envelope(api: APIClient, dialect: str, method: str, path: str) -> None:
    assert_envelope(dialect, getattr(api, method)(path), 405)


def test_paths_outside_the_dialects_keep_djangos_404(api: APIClient) -> None:
    assert api.get("/xtimerx/nope").status_code == 404 and api.get("/xtimerx/nope")["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(("dialect", "path"), [("crontab", "/crontab/add_task"), ("hangfire", "/api/hangfire/enqueue"), ("v1", "/healthz")])
def test_error_response_writes_any_error_in_the_envelope_of_a_path(dialect: str, path: str) -> None:
    """What code outside the views (a body-size middleware, say) calls to answer in the envelope."""
    response = error_response(path, ErrorInfo(413, "too_large", "the body is larger than 1 MiB"))
    body = json.loads(response.content)
    assert response.status_code == 413 and response["Content-Type"] == "application/json"
    assert ENVELOPES[dialect][0] <= set(body) and "the body is larger than 1 MiB" in response.content.decode()
