"""The service registry's services: validation naming the field, identity, cascade."""

from __future__ import annotations

import pytest

from tasks_app.exceptions import Conflict, InvalidInput
from tasks_app.models import Service, ServiceRoute
from tasks_app.services import registry
from tests.factories import make_service

pytestmark = pytest.mark.django_db


def test_service_defaults_and_route() -> None:
    service = make_service(base_url="http://orders:8080/", consumer_path="/api/hangfire/excute", routes={7: "/orders/create"})
    assert service.timeout_seconds == 30 and service.headers == {} and service.retry is None
    assert service.url_for(service.consumer_path) == "http://orders:8080/api/hangfire/excute"
    route = registry.get_route(service=service, message_id=7)
    assert (route.method, route.path) == ("POST", "/orders/create")


def test_retry_is_stored_normalised() -> None:
    service = make_service(retry={"max_attempts": 3})
    assert service.retry == {"max_attempts": 3, "backoff_seconds": 1, "max_backoff_seconds": None}


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"service_id": 0}, "service_id"),
        ({"service_id": 2**31}, "service_id"),
        ({"service_id": "2001"}, "service_id"),
        ({"base_url": "ftp://x"}, "base_url"),
        ({"base_url": ""}, "base_url"),
        ({"consumer_path": "no-slash"}, "consumer_path"),
        ({"timeout_seconds": 0}, "timeout_seconds"),
        ({"timeout_seconds": 10_000}, "timeout_seconds"),
        ({"headers": ["X"]}, "headers"),
        ({"retry": {"delays_seconds": [-1]}}, "delays_seconds"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_service_names_the_field(options: dict, field: str) -> None:
    values = {"service_id": 2001, "base_url": "http://svc:1"} | options
    with pytest.raises(InvalidInput) as error:
        registry.create_service(**values)
    assert error.value.field == field
    assert not Service.objects.exists()


def test_duplicates_conflict() -> None:
    service = make_service(routes={7: "/a"})
    with pytest.raises(Conflict):
        make_service()
    with pytest.raises(Conflict):
        registry.create_route(service=service, message_id=7, path="/b")


@pytest.mark.parametrize(
    ("options", "field"), [({"path": "x"}, "path"), ({"method": "BREW"}, "method"), ({"message_id": -1}, "message_id")]
)
def test_bad_route_names_the_field(options: dict, field: str) -> None:
    service = make_service()
    with pytest.raises(InvalidInput) as error:
        registry.create_route(service=service, **({"message_id": 7, "path": "/p"} | options))
    assert error.value.field == field


def test_updates_keep_identity() -> None:
    service = make_service(routes={7: "/a"})
    registry.update_service(service=service, base_url="http://moved:2", retry=None)
    assert Service.objects.get().base_url == "http://moved:2"
    with pytest.raises(InvalidInput):
        registry.update_service(service=service, service_id=9)
    route = registry.update_route(route=registry.get_route(service=service, message_id=7), method="put")
    assert route.method == "PUT"
    with pytest.raises(InvalidInput):
        registry.update_route(route=route, message_id=8)


def test_deleting_a_service_deletes_its_routes() -> None:
    registry.delete_service(service=make_service(routes={7: "/a", 8: "/b"}))
    assert not ServiceRoute.objects.exists()
