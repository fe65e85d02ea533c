"""Two scoped tokens (alice, bob) and a staff one, each a client carrying its real key."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tasks_app.services import tenancy

# Each holds its dialects' namespaces: v1/xtimer/crontab/dispatch/queues by prefix, hangfire's
# and the registry's by ``service-<id>``.
ALICE = ["alice-*", "service-100"]
BOB = ["bob-*", "service-200"]


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def scoped(name: str, namespaces: list[str], **options: Any) -> APIClient:
    _, key = tenancy.create_api_client(name=name, namespaces=namespaces, **options)
    return client_with(key)


@pytest.fixture
def alice(db: None) -> APIClient:
    return scoped("alice", ALICE)


@pytest.fixture
def bob(db: None) -> APIClient:
    return scoped("bob", BOB)


@pytest.fixture
def staff(db: None) -> APIClient:
    user = get_user_model().objects.create_user(username="operator", password="pw-for-tests", is_staff=True)
    return client_with(Token.objects.create(user=user).key)
