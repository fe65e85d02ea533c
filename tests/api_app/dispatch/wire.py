"""Building dispatch requests in each of the encodings its clients use."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from rest_framework.test import APIClient

ADD = "/dispatchserver/add.do"
# nested: a JSON body with the configs as objects (what the original's clients sent);
# strings: a JSON body with the configs as JSON text; form: a form post of JSON text (the document).
ENCODINGS = ("nested", "strings", "form")


def send(client: APIClient, path: str, body: dict[str, Any], encoding: str = "nested") -> Any:
    if encoding == "nested":
        return client.post(path, body, format="json")
    flat = {key: json.dumps(value) if isinstance(value, dict | list) else value for key, value in body.items()}
    if encoding == "strings":
        return client.post(path, flat, format="json")
    form = {key: str(value).lower() if isinstance(value, bool) else value for key, value in flat.items()}
    return client.post(path, urlencode(form), content_type="application/x-www-form-urlencoded")


def http_recall(url: str, data: Any = None) -> dict[str, Any]:
    return {"recallType": "HTTP", "option": {"url": url}, "data": {"order": 42} if data is None else data}


def socket_recall(port: int, data: Any = "ping", host: str = "127.0.0.1") -> dict[str, Any]:
    return {"recallType": "SOCKET", "option": {"host": host, "port": port}, "data": data}


def cron_task(cron: str = "0 0 10 ? * 6#3", *, name: str = "report", group: str = "billing", **extra: Any) -> dict[str, Any]:
    return {"triggerType": "CronTrigger", "jobCode": name, "groupCode": group, "priority": 5, "cronExpress": cron, **extra}


def simple_task(time_config: dict[str, Any] | None = None, *, name: str = "tick", group: str = "billing", **extra: Any) -> dict[str, Any]:
    config = time_config or {"interval": 10, "intervalType": "SECOND", "isForever": True, "repeatCount": 0}
    return {"triggerType": "SimpleTrigger", "jobCode": name, "groupCode": group, "priority": 5, "timeConfig": config, **extra}


def add_body(task: dict[str, Any], recall: dict[str, Any] | None = None, *, replace: bool = False) -> dict[str, Any]:
    return {"recallConfig": recall or http_recall("http://127.0.0.1:9/recall"), "taskConfig": task, "replace": replace}


OK = {"success": True, "error": None, "resultValue": None}
