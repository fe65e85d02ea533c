from __future__ import annotations

import json
import time
from typing import Any

import pytest
from rest_framework.test import APIClient


class Crontab:
    """A client of the crontab dialect: posts task lists, reads the envelope."""

    def __init__(self, client: APIClient) -> None:
        self.client = client

    def post(self, endpoint: str, body: Any, *, status: int = 200, content_type: str = "application/json") -> dict[str, Any]:
        raw = body if isinstance(body, str | bytes) else json.dumps(body)
        response = self.client.post(f"/crontab/{endpoint}", raw, content_type=content_type)
        assert response.status_code == status, response.content
        answer = response.json()
        assert set(answer) == {"state", "msg", "data"}
        entries = answer["data"].get("task_result", []) + answer["data"].get("log_list", [])
        assert all(isinstance(entry["task_id"], str) for entry in entries), "task_id is a string, as in the seed's answers"
        return answer

    def results(self, endpoint: str, *tasks: Any) -> list[dict[str, Any]]:
        answer = self.post(endpoint, {"task_list": list(tasks)})
        assert answer["state"] == 0, answer
        return answer["data"]["task_result"]

    def add(self, *tasks: Any) -> list[dict[str, Any]]:
        return self.results("add_task", *tasks)

    def added(self, **task: Any) -> int:
        """Add one task that must be accepted; its task_id."""
        [result] = self.add(task)
        assert result["err"] == "", result
        return int(result["task_id"])

    def query(self, *tasks: Any) -> dict[str, Any]:
        return self.post("query_task_status", {"task_list": list(tasks)})["data"]


def task(name: str, **fields: Any) -> dict[str, Any]:
    """A valid type-4 task calling an address nothing listens on; override what a test needs."""
    return {"name": name, "enable": 1, "module": "billing", "type": 4, "start_time": "0 30 2 * * *",
            "url": "http://127.0.0.1:9/unused", "method": "post"} | fields  # fmt: skip


def soon(seconds: float = 1) -> int:
    return int(time.time() + seconds)


@pytest.fixture
def crontab(api: APIClient) -> Crontab:
    return Crontab(api)
