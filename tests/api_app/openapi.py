"""The served OpenAPI document, and checking an answer against what it says of that operation."""

from __future__ import annotations

from typing import Any

from openapi_schema_validator import OAS30Validator
from rest_framework.test import APIClient


def document(api: APIClient) -> dict[str, Any]:
    response = api.get("/api/schema", {"format": "json"})
    assert response.status_code == 200, response.content[:300]
    return response.json()


def operation_of(doc: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    return doc["paths"][path][method.lower()]


def response_schema(doc: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any]:
    responses = operation_of(doc, path, method)["responses"]
    assert str(status) in responses, f"{method} {path} documents no {status}"
    return responses[str(status)]["content"]["application/json"]["schema"]


def check_against(doc: dict[str, Any], path: str, method: str, status: int, body: Any) -> None:
    """Raises unless ``body`` is what the document says ``method path`` answers with ``status``;
    components are resolved within the document, and objects it closes refuse unknown fields."""
    schema = {**response_schema(doc, path, method, status), "components": doc["components"]}
    OAS30Validator(schema).validate(body)
