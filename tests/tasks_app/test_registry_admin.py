"""The registry in the operator console: saved through the services, checked by their rules."""

from __future__ import annotations

import pytest
from django.test import Client

from tasks_app.models import Service, ServiceRoute
from tests.factories import make_service

pytestmark = pytest.mark.django_db
INLINE = "routes"


def _form(base_url: str, routes: list[dict], initial: int = 0, **extra: str) -> dict:
    form = {"base_url": base_url, "consumer_path": "/consume", "timeout_seconds": "30", "headers": "{}", "retry": "",
            f"{INLINE}-TOTAL_FORMS": str(len(routes)), f"{INLINE}-INITIAL_FORMS": str(initial), **extra}  # fmt: skip
    for index, route in enumerate(routes):
        form.update({f"{INLINE}-{index}-{name}": value for name, value in route.items()})
    return form


def test_add_a_service_with_a_route(admin_client: Client) -> None:
    form = _form("http://svc:1", [{"message_id": "7", "method": "post", "path": "/orders"}], service_id="2001")
    response = admin_client.post("/admin/tasks_app/service/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    route = ServiceRoute.objects.select_related("service").get()
    assert (route.service.service_id, route.method, route.path, route.service.retry) == (2001, "POST", "/orders", None)


def test_bad_values_are_shown_on_their_fields(admin_client: Client) -> None:
    form = _form("ftp://svc", [{"message_id": "7", "method": "BREW", "path": "orders"}], service_id="2001")
    response = admin_client.post("/admin/tasks_app/service/add/", form)
    assert response.status_code == 200 and not Service.objects.exists()
    assert b"must be an http(s) URL" in response.content and b"must be one of" in response.content


def test_change_and_delete_a_route(admin_client: Client) -> None:
    service = make_service(routes={7: "/a"})
    route = ServiceRoute.objects.get()
    form = _form("http://moved:2", [{"id": str(route.pk), "service": str(service.pk), "message_id": "7", "method": "PUT",
                                     "path": "/b", "DELETE": ""}], initial=1)  # fmt: skip
    assert admin_client.post(f"/admin/tasks_app/service/{service.pk}/change/", form).status_code == 302
    route.refresh_from_db()
    assert (route.method, route.path, Service.objects.get().base_url) == ("PUT", "/b", "http://moved:2")
    form[f"{INLINE}-0-DELETE"] = "on"
    assert admin_client.post(f"/admin/tasks_app/service/{service.pk}/change/", form).status_code == 302
    assert not ServiceRoute.objects.exists()
