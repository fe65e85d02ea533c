"""Reading the service registry: the registered services and a service's transfer routes.
Both go through the scoped managers, made per call, so a scoped caller sees only the services
of its own ``service-<serviceId>`` namespaces (and their routes)."""

from __future__ import annotations

from django.db.models import QuerySet

from tasks_app.models import Service, ServiceRoute


def registered_services() -> QuerySet[Service]:
    """The services the caller sees, by ``service_id``."""
    return Service.objects.order_by("service_id")


def service_routes(*, service: Service) -> QuerySet[ServiceRoute]:
    """A service's routes by ``message_id``, each with its service already read (a route's
    rendering names it)."""
    return service.routes.select_related("service").order_by("message_id")
