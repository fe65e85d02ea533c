"""Default managers that see only the current scope's namespaces (tasks_app.scope).

Outside an API request the scope is everything and these are plain managers. Inside one, every
query a dialect, selector or service makes through ``Model.objects`` (or a related manager)
leaves out other tenants' rows, so no view has to remember to filter: an object of another
namespace is simply not found. ``_base_manager`` (foreign-key access) is Django's plain one."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat

from tasks_app import scope


class NamespaceScopedManager(models.Manager):
    """Filters on ``namespace_lookup`` (a field path) matching the scope's patterns."""

    namespace_lookup = "namespace"

    def namespace_expression(self) -> Any:
        return None

    def get_queryset(self) -> models.QuerySet:
        queryset = super().get_queryset()
        current = scope.current()
        if current.unrestricted:
            return queryset
        expression = self.namespace_expression()
        if expression is None:
            return queryset.filter(**{f"{self.namespace_lookup}__regex": current.regex})
        return queryset.alias(scope_namespace=expression).filter(scope_namespace__regex=current.regex)


class JobManager(NamespaceScopedManager):
    namespace_lookup = "namespace"


class ExecutionManager(NamespaceScopedManager):
    """An execution belongs to its job's namespace (one whose job was deleted to none)."""

    namespace_lookup = "job__namespace"


class QueueTaskManager(NamespaceScopedManager):
    namespace_lookup = "channel"


def service_namespace(service_id_path: str) -> Any:
    """``service-<serviceId>``: the namespace of a registered service and of its jobs."""
    return Concat(Value("service-"), Cast(service_id_path, output_field=CharField()), output_field=CharField())


class ServiceManager(NamespaceScopedManager):
    def namespace_expression(self) -> Any:
        return service_namespace("service_id")


class ServiceRouteManager(NamespaceScopedManager):
    def namespace_expression(self) -> Any:
        return service_namespace("service__service_id")
