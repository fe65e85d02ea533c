"""Every bad input answers in the envelope with a 4xx naming the field, and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tasks_app.models import Execution, Job
from tests.api_app.dispatch.wire import ADD, ENCODINGS, add_body, cron_task, http_recall, send, simple_task, socket_recall

pytestmark = pytest.mark.django_db
SECOND = {"interval": 10, "intervalType": "SECOND", "isForever": True}


def assert_refused(response: Any, status: int, field: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"success", "error", "resultValue"}
    assert body["success"] is False and body["resultValue"] is None
    assert field in body["error"], body["error"]
    assert not Job.objects.exists() and not Execution.objects.exists()


BAD_ADDS: list[tuple[str, dict[str, Any], str]] = [
    ("unknown triggerType", add_body(cron_task(triggerType="CalendarTrigger")), "taskConfig.triggerType"),
    ("unknown intervalType", add_body(simple_task({"interval": 1, "intervalType": "DAY"})), "taskConfig.timeConfig.intervalType"),
    ("interval missing", add_body(simple_task({"intervalType": "SECOND"})), "taskConfig.timeConfig.interval"),
    ("interval zero", add_body(simple_task({"interval": 0, "intervalType": "MINUTE"})), "taskConfig.timeConfig.interval"),
    ("interval not a number", add_body(simple_task({"interval": "often", "intervalType": "SECOND"})), "taskConfig.timeConfig.interval"),
    ("repeatCount below -1", add_body(simple_task({"interval": 1, "intervalType": "SECOND", "repeatCount": -2})), "repeatCount"),
    ("timeConfig missing", add_body(simple_task() | {"timeConfig": None}), "taskConfig.timeConfig"),
    ("timeConfig not JSON", add_body(simple_task() | {"timeConfig": "{interval"}), "taskConfig.timeConfig"),
    ("cron Quartz rejects: hour 25", add_body(cron_task("0 0 25 * * ?")), "taskConfig.cronExpress"),
    ("cron Quartz rejects: day-of-week 8", add_body(cron_task("0 0 12 ? * 8")), "taskConfig.cronExpress"),
    ("cron Quartz rejects: no '?'", add_body(cron_task("0 0 12 * * *")), "taskConfig.cronExpress"),
    ("cron Quartz rejects: two '?'", add_body(cron_task("0 0 12 ? * ?")), "taskConfig.cronExpress"),
    ("cron Quartz rejects: five fields", add_body(cron_task("0 12 * * ?")), "taskConfig.cronExpress"),
    ("cron Quartz rejects: L-31", add_body(cron_task("0 0 12 L-31 * ?")), "taskConfig.cronExpress"),
    ("cron that never fires again", add_body(cron_task("0 0 12 1 1 ? 2020")), "taskConfig.cronExpress"),
    ("cronExpress missing", add_body(cron_task(cronExpress="")), "taskConfig.cronExpress"),
    (
        "endDate before startDate",
        add_body(simple_task(SECOND, startDate=2_000_000_000_000, endDate=1_999_999_999_000)),
        "taskConfig.endDate",
    ),
    ("cron endDate in the past", add_body(cron_task(endDate="2001-01-01T00:00:00Z")), "taskConfig.endDate"),
    ("startDate not a date", add_body(simple_task(SECOND, startDate="tomorrow")), "taskConfig.startDate"),
    ("startDate impossible", add_body(simple_task(SECOND, startDate="2031-13-01T00:00:00")), "taskConfig.startDate"),
    ("startDate a boolean", add_body(simple_task(SECOND, startDate=True)), "taskConfig.startDate"),
    ("jobCode missing", add_body({k: v for k, v in cron_task().items() if k != "jobCode"}), "taskConfig.jobCode"),
    ("groupCode blank", add_body(cron_task(group="")), "taskConfig.groupCode"),
    ("priority not a number", add_body(cron_task(priority="high")), "taskConfig.priority"),
    (
        "recallType other than HTTP/SOCKET",
        add_body(cron_task(), {"recallType": "MQ", "option": {"url": "http://x"}}),
        "recallConfig.recallType",
    ),
    ("port above range", add_body(cron_task(), socket_recall(70000)), "recallConfig.option.port"),
    ("port zero", add_body(cron_task(), socket_recall(0)), "recallConfig.option.port"),
    ("port not a number", add_body(cron_task(), socket_recall("http")), "recallConfig.option.port"),  # type: ignore[arg-type]
    ("host missing", add_body(cron_task(), {"recallType": "SOCKET", "option": {"port": 80}}), "recallConfig.option.host"),
    ("host with spaces", add_body(cron_task(), socket_recall(80, host="a host")), "recallConfig.option.host"),
    ("url missing", add_body(cron_task(), {"recallType": "HTTP", "option": {}}), "recallConfig.option.url"),
    ("url not http", add_body(cron_task(), http_recall("ftp://svc/run")), "recallConfig.option.url"),
    ("option not JSON", add_body(cron_task(), {"recallType": "HTTP", "option": "url=http://x"}), "recallConfig.option"),
    ("recallConfig not JSON", add_body(cron_task()) | {"recallConfig": "recallType=HTTP"}, "recallConfig"),
    ("recallConfig a JSON list", add_body(cron_task()) | {"recallConfig": [1, 2]}, "recallConfig"),
    ("taskConfig not JSON", add_body(cron_task()) | {"taskConfig": "{'jobCode': 1"}, "taskConfig"),
    ("recallConfig missing", {"taskConfig": cron_task(), "replace": False}, "recallConfig"),
    ("taskConfig missing", {"recallConfig": http_recall("http://x"), "replace": False}, "taskConfig"),
    ("replace not a boolean", add_body(cron_task()) | {"replace": "perhaps"}, "replace"),
]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize(("case", "body", "field"), BAD_ADDS, ids=[case for case, _, _ in BAD_ADDS])
def test_bad_add_is_refused_in_each_encoding(api, encoding: str, case: str, body: dict, field: str) -> None:
    assert_refused(send(api, ADD, body, encoding), 400, field)


def test_malformed_json_body(api) -> None:
    response = api.post(ADD, '{"recallConfig": {', content_type="application/json")
    assert_refused(response, 400, "JSON parse error")


def test_body_that_is_not_an_object(api) -> None:
    assert_refused(api.post(ADD, "[1, 2]", content_type="application/json"), 400, "Expected a dictionary")


def test_empty_body(api) -> None:
    assert_refused(api.post(ADD, "", content_type="application/json"), 400, "recallConfig")


def test_wrong_content_type(api) -> None:
    assert_refused(api.post(ADD, "recallConfig=x", content_type="text/plain"), 415, "text/plain")


def test_get_is_not_allowed(api) -> None:
    assert_refused(api.get(ADD), 405, "GET")


def test_without_a_token() -> None:
    assert_refused(APIClient().post(ADD, add_body(cron_task()), format="json"), 401, "credentials")


def test_with_a_wrong_token() -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope")
    assert_refused(client.post(ADD, add_body(cron_task()), format="json"), 401, "token")


ACTIONS = ("pause.do", "resumeTask.do", "delete.do", "trigger.do")


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("encoding", ("nested", "form"))
def test_unknown_task_is_404_for_each_action(api, action: str, encoding: str) -> None:
    response = send(api, f"/dispatchserver/{action}", {"jobName": "ghost", "groupName": "billing"}, encoding)
    assert_refused(response, 404, "no task 'ghost' in group 'billing'")


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(
    ("body", "field"), [({"groupName": "g"}, "jobName"), ({"jobName": "j"}, "groupName"), ({"jobName": "", "groupName": "g"}, "jobName")]
)
def test_actions_need_both_names(api, action: str, body: dict, field: str) -> None:
    assert_refused(send(api, f"/dispatchserver/{action}", body, "form"), 400, field)


UPDATE = "/taskcallback/updateTaskLog"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"success": "true"}, 400, "id"),
        ({"id": "abc", "success": "true"}, 400, "id"),
        ({"id": 1}, 400, "success"),
        ({"id": 1, "success": "maybe"}, 400, "success"),
        ({"id": 987654, "success": "true", "resultValue": "done"}, 404, "no execution 987654"),
    ],
)
@pytest.mark.parametrize("encoding", ("nested", "form"))
def test_bad_task_log_reports(api, body: dict, status: int, field: str, encoding: str) -> None:
    assert_refused(send(api, UPDATE, body, encoding), status, field)
