"""Registered services and their routes, in order and within the caller's scope."""

from __future__ import annotations

import pytest

from tasks_app import scope, selectors
from tests.factories import make_service

pytestmark = pytest.mark.django_db


def test_services_come_by_service_id() -> None:
    later, earlier = make_service(service_id=300), make_service(service_id=100)
    assert list(selectors.registered_services()) == [earlier, later]


def test_a_scoped_caller_sees_only_the_services_of_its_namespaces() -> None:
    own = make_service(service_id=100)
    make_service(service_id=200)
    with scope.using(scope.Scope(patterns=("service-100",))):
        assert list(selectors.registered_services()) == [own]


def test_a_services_routes_come_by_message_id() -> None:
    service = make_service(service_id=100, routes={9: "/nine", 3: "/three"})
    make_service(service_id=200, routes={1: "/other"})
    routes = [(route.message_id, route.path) for route in selectors.service_routes(service=service)]
    assert routes == [(3, "/three"), (9, "/nine")]
