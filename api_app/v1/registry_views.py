"""The service registry in the v1 API: services by their ``service_id``, and their transfer
routes by ``message_id``. Views parse, call one service, and render."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from api_app.parsing import parsed
from api_app.v1.registry_serializers import RouteInputSerializer, RouteSerializer, ServiceInputSerializer, ServiceSerializer
from tasks_app import selectors
from tasks_app.models import Service, ServiceRoute
from tasks_app.services import registry


class ServiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ServiceSerializer
    lookup_field = "service_id"
    lookup_value_regex = "-?[0-9]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Service]:
        return selectors.registered_services()

    @extend_schema(request=ServiceInputSerializer, responses={201: ServiceSerializer})
    def create(self, request: Request) -> Response:
        service = registry.create_service(**parsed(ServiceInputSerializer, request.data))
        return Response(ServiceSerializer(service).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ServiceInputSerializer, responses=ServiceSerializer)
    def partial_update(self, request: Request, service_id: str) -> Response:
        service = registry.update_service(service=self.get_object(), **parsed(ServiceInputSerializer, request.data, partial=True))
        return Response(ServiceSerializer(service).data)

    def destroy(self, request: Request, service_id: str) -> Response:
        registry.delete_service(service=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class RouteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Nested under a service: /services/{service_id}/routes[/{message_id}]."""

    serializer_class = RouteSerializer
    lookup_field = "message_id"
    lookup_value_regex = "-?[0-9]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def service(self) -> Service:
        return registry.get_service(service_id=int(self.kwargs["service_id"]))

    def get_queryset(self) -> QuerySet[ServiceRoute]:
        return selectors.service_routes(service=self.service())

    @extend_schema(request=RouteInputSerializer, responses={201: RouteSerializer})
    def create(self, request: Request, service_id: str) -> Response:
        route = registry.create_route(service=self.service(), **parsed(RouteInputSerializer, request.data))
        return Response(RouteSerializer(route).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RouteInputSerializer, responses=RouteSerializer)
    def partial_update(self, request: Request, service_id: str, message_id: str) -> Response:
        route = registry.update_route(route=self.get_object(), **parsed(RouteInputSerializer, request.data, partial=True))
        return Response(RouteSerializer(route).data)

    def destroy(self, request: Request, service_id: str, message_id: str) -> Response:
        registry.delete_route(route=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
