"""Contracts: each dialect's seed document replayed over real HTTP against a live server, as a
client that no one here wrote would call it, its answers checked for the seed's field names and
JSON types and against what the OpenAPI document says of that operation."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from tests.api_app.openapi import check_against


def json_types(value: Any) -> Any:
    """A JSON value's shape: each leaf replaced by its JSON type (a list by its first item's)."""
    if isinstance(value, dict):
        return {key: json_types(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_types(value[0])] if value else []
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string" if isinstance(value, str) else "null"


@dataclass
class Answer:
    status: int
    body: Any


class Client:
    """A plain HTTP client of the live server, with a token; every answer is checked against the
    OpenAPI document's schema for its operation and status."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"
        self.doc = self.session.get(f"{base_url}/api/schema", params={"format": "json"}, timeout=30).json()

    def call(self, method: str, path: str, *, documented: str | None = None, **kwargs: Any) -> Answer:
        response = self.session.request(method, f"{self.base_url}{path}", timeout=30, **kwargs)
        assert response.headers["Content-Type"].startswith("application/json"), response.text[:200]
        body = response.json()
        check_against(self.doc, documented or path.split("?")[0], method, response.status_code, body)
        return Answer(response.status_code, body)


@pytest.fixture
def client(live_server: Any, transactional_db: None) -> Iterator[Client]:
    user = get_user_model().objects.create_user(username="contract-client", password="pw-for-tests", is_staff=True)
    yield Client(live_server.url, Token.objects.create(user=user).key)
