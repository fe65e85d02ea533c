"""POST/GET/PATCH/DELETE /api/v1/alert-rules: bad input is a 400 naming the field, nothing saved."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tasks_app.models import AlertRule

pytestmark = pytest.mark.django_db
RULES = "/api/v1/alert-rules"


def test_a_rule_is_created_read_changed_and_deleted(api: APIClient) -> None:
    created = api.post(RULES, {"namespace": "billing-*", "url": "https://hooks.example.com/x", "after_failures": 2}, format="json")
    assert created.status_code == 201
    rule = created.json()
    assert rule["remind_every_seconds"] == 3600 and rule["enabled"] is True
    assert api.get(f"{RULES}/{rule['id']}").json()["namespace"] == "billing-*"
    assert api.patch(f"{RULES}/{rule['id']}", {"enabled": False}, format="json").json()["enabled"] is False
    assert api.get(RULES).json()["count"] == 1
    assert api.delete(f"{RULES}/{rule['id']}").status_code == 204 and not AlertRule.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://nowhere"}, "url"),
        ({"url": "https://h.example.com", "after_failures": 0}, "after_failures"),
        ({"url": "https://h.example.com", "email": "not-an-address"}, "email"),
        ({"url": "https://h.example.com", "namespace": ""}, "namespace"),
        ({"url": "https://h.example.com", "severity": "high"}, "severity"),
        ({}, "url"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api: APIClient, body: dict, field: str) -> None:
    response = api.post(RULES, body, format="json")
    assert response.status_code == 400 and response.json()["field"] == field, response.json()
    assert not AlertRule.objects.exists()


def test_without_a_token_nothing_is_read(client) -> None:
    assert client.get(RULES).status_code == 401
