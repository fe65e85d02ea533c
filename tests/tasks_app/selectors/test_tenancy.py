"""API clients: listed by name, and found by key (with their user) in one query."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tasks_app import selectors
from tasks_app.services import tenancy

pytestmark = pytest.mark.django_db


def test_clients_come_by_name() -> None:
    zeta, _ = tenancy.create_api_client(name="zeta", namespaces=["z-*"])
    alpha, _ = tenancy.create_api_client(name="alpha", namespaces=["a-*"])
    assert list(selectors.api_clients()) == [alpha, zeta]


def test_a_key_finds_its_client_and_user_in_one_query(django_assert_num_queries: Callable[..., Any]) -> None:
    client, key = tenancy.create_api_client(name="team-a", namespaces=["team-a-*"])
    with django_assert_num_queries(1):
        found = selectors.api_client_for_key(key=key)
        assert found == client and found.user.username == "api-token:team-a"
    assert selectors.api_client_for_key(key=key + "x") is None
