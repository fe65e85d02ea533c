"""Writing the service registry: services and their transfer routes. Every caller (the v1 API,
the admin) registers services through these functions; callbacks read the rows when they run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, transaction

from tasks_app import scope, secret_headers
from tasks_app.callbacks.base import timeout_from
from tasks_app.callbacks.http import METHODS, validate_headers, validate_url
from tasks_app.exceptions import Conflict, InvalidCallback, InvalidInput, NotFound
from tasks_app.models import Service, ServiceRoute
from tasks_app.retry import RetryPolicy
from tasks_app.services import audit

ID_MAX = 2**31 - 1  # the wire's ids are int32
Row = TypeVar("Row", Service, ServiceRoute)


def _as_input(check: Callable[[], Any]) -> Any:
    """The callback validators name the field; here they are plain input errors."""
    try:
        return check()
    except InvalidCallback as error:
        raise InvalidInput(error.message, field=error.field) from None


def _identifier(value: Any, *, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= ID_MAX:
        raise InvalidInput(f"must be a whole number from 1 to {ID_MAX}", field=field)
    return value


def _path(value: Any, *, field: str, required: bool) -> str:
    if value in (None, "") and not required:
        return ""
    if not isinstance(value, str) or not value.startswith("/") or len(value) > 500 or any(c.isspace() for c in value):
        raise InvalidInput("must be a path starting with / (no spaces, at most 500 characters)", field=field)
    return value


def _retry(value: Any) -> dict[str, Any] | None:
    return None if value is None else RetryPolicy.from_json(value).to_json()


def _method(value: Any) -> str:
    method = str(value or "").upper()
    if method not in METHODS:
        raise InvalidInput(f"must be one of {', '.join(METHODS)}", field="method")
    return method


SERVICE_CLEANERS: dict[str, Callable[[Any], Any]] = {
    "service_id": lambda v: _identifier(v, field="service_id"),
    "base_url": lambda v: _as_input(lambda: validate_url(v, field="base_url")),
    "consumer_path": lambda v: _path(v, field="consumer_path", required=False),
    "timeout_seconds": lambda v: _as_input(lambda: timeout_from({"timeout_seconds": v})),
    "headers": lambda v: secret_headers.seal(_as_input(lambda: validate_headers(v))),
    "retry": _retry,
}
ROUTE_CLEANERS: dict[str, Callable[[Any], Any]] = {
    "message_id": lambda v: _identifier(v, field="message_id"),
    "method": _method,
    "path": lambda v: _path(v, field="path", required=True),
}


def clean_fields(changes: dict[str, Any], cleaners: dict[str, Callable[[Any], Any]]) -> dict[str, Any]:
    """Validate what a caller sets, naming the failing field (shared with the admin's forms)."""
    unknown = sorted(set(changes) - set(cleaners))
    if unknown:
        raise InvalidInput(f"cannot be set: {', '.join(unknown)}", field=unknown[0])
    return {name: cleaners[name](value) for name, value in changes.items()}


def get_service(*, service_id: int) -> Service:
    service = Service.objects.filter(service_id=service_id).first()
    if service is None:
        raise NotFound(f"service {service_id} is not registered", field="service_id")
    return service


def get_route(*, service: Service, message_id: int) -> ServiceRoute:
    route = service.routes.filter(message_id=message_id).first()
    if route is None:
        raise NotFound(f"service {service.service_id} has no route for message {message_id}", field="message_id")
    return route


SERVICE_AUDITED = ("service_id", "base_url", "consumer_path", "timeout_seconds", "headers", "retry")
ROUTE_AUDITED = ("message_id", "method", "path")


def _fields(instance: Service | ServiceRoute) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in (SERVICE_AUDITED if isinstance(instance, Service) else ROUTE_AUDITED)}


def _audit(instance: Service | ServiceRoute, action: str, changes: dict[str, list[Any]]) -> None:
    service = instance if isinstance(instance, Service) else instance.service
    kind = "service" if instance is service else "route"
    # The namespace of the jobs made for a service (``service-<serviceId>``): who may change a
    # service is who may change its jobs.
    namespace = f"service-{service.service_id}"
    audit.record(action=action, object_type=kind, object_id=instance.pk, namespace=namespace, changes=changes, label=str(instance))


def _saved(instance: Service | ServiceRoute, conflict: str, field: str) -> None:
    try:
        with transaction.atomic():
            instance.save()
            _audit(instance, "create", audit.diff({}, _fields(instance)))
    except IntegrityError:
        raise Conflict(conflict, field=field) from None


def create_service(*, service_id: int, base_url: str, **options: Any) -> Service:
    """Register a service; raises InvalidInput (naming the field) or Conflict."""
    values = clean_fields({"service_id": service_id, "base_url": base_url, **options}, SERVICE_CLEANERS)
    scope.current().require_write(f"service-{values['service_id']}", field="service_id")
    service = Service(**values)
    _saved(service, f"service {service.service_id} is already registered", "service_id")
    return service


def _update(instance: Row, changes: dict[str, Any], cleaners: dict[str, Callable[[Any], Any]], *, identity: str, instead: str) -> Row:
    """Change some fields of a row; its ``identity`` field is what jobs name it by and stays."""
    service_id = instance.service_id if isinstance(instance, Service) else instance.service.service_id
    scope.current().require_write(f"service-{service_id}", field="service_id")
    if identity in changes and changes[identity] != getattr(instance, identity):
        raise InvalidInput(f"cannot be changed; {instead}", field=identity)
    before = _fields(type(instance).objects.get(pk=instance.pk))  # as stored: a form may have set the instance's fields
    for name, value in clean_fields(changes, cleaners).items():
        setattr(instance, name, value)
    with transaction.atomic():
        instance.save()
        _audit(instance, "update", audit.diff(before, _fields(instance)))
    return instance


def update_service(*, service: Service, **changes: Any) -> Service:
    if "headers" in changes:  # a value sent back as "***" keeps the stored one
        stored = Service.objects.filter(pk=service.pk).values_list("headers", flat=True).first()
        changes["headers"] = secret_headers.keep_masked(changes["headers"], stored)
    return _update(service, changes, SERVICE_CLEANERS, identity="service_id", instead="register a new service instead")


def delete_service(*, service: Service) -> None:
    """Unregister a service and its routes. Its jobs that run later fail, permanently, naming it."""
    scope.current().require_write(f"service-{service.service_id}", field="service_id")
    with transaction.atomic():
        _audit(service, "delete", audit.diff(_fields(service), {}))
        service.delete()


def create_route(*, service: Service, message_id: int, path: str, method: str = "POST") -> ServiceRoute:
    scope.current().require_write(f"service-{service.service_id}", field="service_id")
    values = clean_fields({"message_id": message_id, "path": path, "method": method}, ROUTE_CLEANERS)
    route = ServiceRoute(service=service, **values)
    _saved(route, f"service {service.service_id} already has a route for message {route.message_id}", "message_id")
    return route


def update_route(*, route: ServiceRoute, **changes: Any) -> ServiceRoute:
    return _update(route, changes, ROUTE_CLEANERS, identity="message_id", instead="add a route for the other message instead")


def delete_route(*, route: ServiceRoute) -> None:
    scope.current().require_write(f"service-{route.service.service_id}", field="service_id")
    with transaction.atomic():
        _audit(route, "delete", audit.diff(_fields(route), {}))
        route.delete()
