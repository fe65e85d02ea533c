"""The OpenAPI document is one a client generator can use: valid (openapi-spec-validator), a tag
per dialect, paths as the seeds write them, parameters only where they apply, bodies typed in
each dialect's envelope, every reference resolvable."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from openapi_spec_validator import validate
from rest_framework.test import APIClient

from tests.api_app.openapi import document

TAGS = {"v1", "hangfire", "xtimer", "crontab", "dispatch", "queues"}
HANGFIRE = ("enqueue", "schedule", "schedulesecond", "enqueuetransfor", "scheduletransfor", "schedulesecondtransfor")
SEED_PATHS = {
    **dict.fromkeys(["/api/hangfire/" + name for name in HANGFIRE], "hangfire"),
    **dict.fromkeys(["/xtimer/creatTimer", "/xtimer/enableTimer", "/xtimer/getTimer", "/xtimer/getTasks"], "xtimer"),
    **dict.fromkeys(["/crontab/" + name for name in ("add_task", "update_task", "query_task_status", "run_again_task")], "crontab"),
    **dict.fromkeys(["/dispatchserver/" + name for name in ("add.do", "pause.do", "resumeTask.do", "delete.do", "trigger.do")], "dispatch"),
    "/taskcallback/updateTaskLog": "dispatch",
    **dict.fromkeys(
        [
            "/api/queues/" + name
            for name in (
                "CreateTask",
                "QueryTaskByID",
                "CancelTaskByID",
                "QueryTaskByOwner",
                "QueryTaskByHashCode",
                "QueryLengthByChannel",
                "ReportTaskResult",
                "ReceiveQueueByChannel",
            )
        ],
        "queues",
    ),  # fmt: skip
    **dict.fromkeys(["/api/v1/jobs", "/api/v1/jobs/{id}", "/api/v1/executions", "/api/v1/executions/{id}", "/api/v1/services"], "v1"),
}
V1_LISTS = [
    "/api/v1/jobs", "/api/v1/executions", "/api/v1/jobs/{id}/executions", "/api/v1/services", "/api/v1/services/{service_id}/routes",
]  # fmt: skip


@pytest.fixture
def doc(api: APIClient) -> dict[str, Any]:
    return document(api)


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from references(value)
    elif isinstance(node, list):
        for value in node:
            yield from references(value)


def resolved(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_the_document_validates(doc: dict[str, Any]) -> None:
    validate(doc)
    assert doc["openapi"].startswith("3.")


def test_every_reference_resolves(doc: dict[str, Any]) -> None:
    names = set(doc["components"]["schemas"])
    assert {ref.rsplit("/", 1)[1] for ref in [*references(doc["paths"]), *references(doc["components"])]} <= names


def test_a_tag_per_dialect_and_every_seed_path_as_written(doc: dict[str, Any]) -> None:
    assert {tag["name"] for tag in doc["tags"]} == TAGS
    assert {operation["tags"][0] for _, _, operation in operations(doc)} == TAGS
    assert all(len(operation["tags"]) == 1 for _, _, operation in operations(doc))
    for path, tag in SEED_PATHS.items():
        assert path in doc["paths"], path
        assert {operation["tags"][0] for operation in doc["paths"][path].values()} == {tag}, path
    assert not [path for path in doc["paths"] if path.endswith("/")]


def test_query_parameters_only_where_they_apply(doc: dict[str, Any]) -> None:
    jobs = doc["paths"]["/api/v1/jobs"]
    assert {p["name"] for p in jobs["get"]["parameters"]} == {"dialect", "namespace", "name", "page", "page_size"}
    assert "parameters" not in jobs["post"]
    for path, method, operation in operations(doc):
        if method != "get":
            assert not [p for p in operation.get("parameters", []) if p["in"] == "query" and path.startswith("/api/")], (method, path)


@pytest.mark.parametrize("path", V1_LISTS)
def test_every_v1_list_takes_page_size_up_to_500(doc: dict[str, Any], path: str) -> None:
    [page_size] = [p for p in doc["paths"][path]["get"]["parameters"] if p["name"] == "page_size"]
    assert page_size["schema"]["maximum"] == 500


def test_bodies_are_typed_and_errors_are_in_the_dialects_envelope(doc: dict[str, Any]) -> None:
    envelope_keys = {
        "v1": {"detail", "code"}, "hangfire": {"returnCode", "returnMessage"}, "xtimer": {"code", "message"},
        "crontab": {"state", "msg"}, "dispatch": {"success", "error"}, "queues": set(),
    }  # fmt: skip
    for path, method, operation in operations(doc):
        tag = operation["tags"][0]
        for content in operation.get("requestBody", {}).get("content", {}).values():
            assert resolved(doc, content["schema"]).get("properties"), f"untyped request body: {method} {path}"
        for status, response in operation["responses"].items():
            if "content" not in response:
                assert status == "204", (method, path, status)
                continue
            schema = resolved(doc, response["content"]["application/json"]["schema"])
            assert schema.get("properties") or schema.get("type") == "array", (method, path, status)
            if status.startswith("4"):
                assert envelope_keys[tag] <= set(schema.get("properties", {})), (method, path, status)


def test_queue_methods_answer_their_proto_response_message(doc: dict[str, Any]) -> None:
    receive = doc["paths"]["/api/queues/ReceiveQueueByChannel"]["post"]
    assert receive["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/standard.ReceiveQueueByChannelResponse"
    }
    assert doc["components"]["schemas"]["standard.ReceiveQueueByChannelResponse"]["properties"] == {
        "Tasks": {"$ref": "#/components/schemas/standard.Task"}
    }
