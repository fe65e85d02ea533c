"""A black-box xtimer client: it speaks only the wire (paths, query, JSON), as xtimer's users do."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient


def seed_timer(url: str, **changes: Any) -> dict[str, Any]:
    """The seed's example request, with a URL that answers and a cron that parses: its
    notifyHTTPParam is a JSON-encoded string, as the seed sends it."""
    notify = {"method": "GET", "url": url, "header": {"Duis_c8": "culpa ex in"}, "body": "consectetur dolore consequat irure in"}
    return {
        "app": "est ad amet tempor proident",
        "name": "test1",
        "status": 1,
        "cron": "* * * * * *",
        "notifyHTTPParam": json.dumps(notify),
    } | changes


@dataclass
class Answer:
    status: int
    body: dict[str, Any]

    @property
    def code(self) -> int:
        return int(self.body["code"])

    @property
    def data(self) -> Any:
        return self.body.get("data")


class XtimerClient:
    def __init__(self, client: APIClient) -> None:
        self.client = client

    def call(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        body: Any = None,
        raw: str | None = None,
        content_type: str = "application/json",
    ) -> Answer:
        text = raw if raw is not None else "" if body is None else json.dumps(body)
        suffix = f"?{urlencode(query)}" if query else ""
        response = self.client.generic(method, f"/xtimer/{path}{suffix}", text, content_type=content_type if text else None)
        return Answer(response.status_code, response.json())

    def create(self, timer: dict[str, Any], path: str = "creatTimer") -> Answer:
        return self.call("POST", path, body=timer)

    def created_id(self, timer: dict[str, Any]) -> int:
        answer = self.create(timer)
        assert (answer.status, answer.code) == (200, 0), answer.body
        return int(answer.data["timerId"])

    def timer(self, app: str, timer_id: int) -> Answer:
        return self.call("GET", "getTimer", query={"app": app, "timerId": timer_id})

    def enable(self, app: str, timer_id: int) -> Answer:
        return self.call("GET", "enableTimer", query={"app": app, "id": timer_id})

    def unable(self, app: str, timer_id: int) -> Answer:
        return self.call("GET", "unableTimer", query={"app": app, "id": timer_id})

    def tasks(self, app: str, timer_id: int, **paging: Any) -> Answer:
        return self.call("GET", "getTasks", query={"app": app, "timerId": timer_id, **paging})


@pytest.fixture
def xtimer(api: APIClient) -> XtimerClient:
    return XtimerClient(api)
