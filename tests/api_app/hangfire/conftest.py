from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tasks_app.models import Service
from tests.factories import make_service


@pytest.fixture
def service(db: None) -> Service:
    """Service 2001 as the seed's examples use it: a consumer endpoint and route for message 7."""
    return make_service(service_id=2001, consumer_path="/api/hangfire/excute", routes={7: "/orders/create"})


def post(api: APIClient, endpoint: str, body: Any, **headers: str) -> Any:
    """A producer request as the seed's clients send it: a JSON body to /api/hangfire/<endpoint>."""
    return api.post(f"/api/hangfire/{endpoint}", body, format="json", **headers)
