"""The service registry through the v1 API."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tasks_app.models import Service, ServiceRoute

pytestmark = pytest.mark.django_db

SERVICE = {
    "service_id": 2001,
    "base_url": "http://127.0.0.1:8081",
    "consumer_path": "/api/hangfire/excute",
    "timeout_seconds": 30,
    "headers": {},
}


def test_register_a_service_and_a_route(api: APIClient) -> None:
    created = api.post("/api/v1/services", SERVICE, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["service_id"] == 2001 and created.json()["retry"] is None
    route = api.post("/api/v1/services/2001/routes/", {"message_id": 7, "method": "POST", "path": "/orders/create"}, format="json")
    assert route.status_code == 201, route.json()
    assert route.json() | {"created_at": None, "updated_at": None} == {
        "service_id": 2001, "message_id": 7, "method": "POST", "path": "/orders/create", "created_at": None, "updated_at": None,
    }  # fmt: skip
    assert [s["service_id"] for s in api.get("/api/v1/services").json()["results"]] == [2001]
    assert api.get("/api/v1/services/2001/").json()["consumer_path"] == "/api/hangfire/excute"
    assert [r["message_id"] for r in api.get("/api/v1/services/2001/routes").json()["results"]] == [7]
    assert api.get("/api/v1/services/2001/routes/7").json()["path"] == "/orders/create"


def test_patch_and_delete(api: APIClient) -> None:
    api.post("/api/v1/services", SERVICE, format="json")
    api.post("/api/v1/services/2001/routes", {"message_id": 7, "path": "/a"}, format="json")
    patched = api.patch("/api/v1/services/2001", {"timeout_seconds": 5, "retry": {"delays_seconds": [1]}}, format="json")
    assert patched.status_code == 200 and patched.json()["timeout_seconds"] == 5 and patched.json()["retry"] == {"delays_seconds": [1.0]}
    route = api.patch("/api/v1/services/2001/routes/7", {"method": "put", "path": "/b"}, format="json")
    assert route.status_code == 200 and route.json()["method"] == "PUT"
    assert api.delete("/api/v1/services/2001/routes/7").status_code == 204
    assert api.get("/api/v1/services/2001/routes/7").status_code == 404
    assert api.delete("/api/v1/services/2001").status_code == 204
    assert not Service.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (SERVICE | {"base_url": "not a url"}, 400, "base_url"),
        (SERVICE | {"service_id": "x"}, 400, "service_id"),
        (SERVICE | {"headers": "X-Token: t"}, 400, "headers"),
        (SERVICE | {"colour": "red"}, 400, "colour"),
        ({"base_url": "http://x"}, 400, "service_id"),
    ],
)
def test_bad_services_are_refused(api: APIClient, body: dict, status: int, field: str) -> None:
    response = api.post("/api/v1/services", body, format="json")
    assert response.status_code == status and response.json()["field"] == field
    assert not Service.objects.exists()


def test_unknown_and_duplicate(api: APIClient) -> None:
    assert api.get("/api/v1/services/404").status_code == 404
    assert api.post("/api/v1/services/404/routes", {"message_id": 7, "path": "/a"}, format="json").json()["code"] == "not_found"
    api.post("/api/v1/services", SERVICE, format="json")
    assert api.post("/api/v1/services", SERVICE, format="json").status_code == 409
    api.post("/api/v1/services/2001/routes", {"message_id": 7, "path": "/a"}, format="json")
    assert api.post("/api/v1/services/2001/routes", {"message_id": 7, "path": "/b"}, format="json").status_code == 409
    assert api.patch("/api/v1/services/2001", {"service_id": 3}, format="json").status_code == 400
    assert api.post("/api/v1/services/2001/routes", {"message_id": 8, "path": "b"}, format="json").json()["field"] == "path"
    assert ServiceRoute.objects.count() == 1


def test_token_is_required() -> None:
    assert APIClient().get("/api/v1/services").status_code == 401
