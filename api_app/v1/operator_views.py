"""Alert rules (read and written through tasks_app.services.alerts) and the audit trail
(read-only, newest first, filtered by namespace, object type and object id)."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from api_app.parsing import parsed
from api_app.v1.operator_serializers import AlertRuleInputSerializer, AlertRuleSerializer, AuditEntrySerializer
from tasks_app import selectors
from tasks_app.models import AlertRule, AuditEntry
from tasks_app.services import alerts


class AlertRuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AlertRuleSerializer

    def get_queryset(self) -> QuerySet[AlertRule]:
        return selectors.alert_rules()

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @extend_schema(request=AlertRuleInputSerializer, responses={201: AlertRuleSerializer})
    def create(self, request: Request) -> Response:
        rule = alerts.create_alert_rule(**parsed(AlertRuleInputSerializer, request.data))
        return Response(AlertRuleSerializer(rule).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AlertRuleInputSerializer, responses=AlertRuleSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        rule = alerts.update_alert_rule(rule=self.get_object(), **parsed(AlertRuleInputSerializer, request.data, partial=True))
        return Response(AlertRuleSerializer(rule).data)

    def destroy(self, request: Request, pk: str) -> Response:
        alerts.delete_alert_rule(rule=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


FILTERS = ("namespace", "object_type", "object_id")


@extend_schema(parameters=[OpenApiParameter(name, OpenApiTypes.STR, description=f"only entries with this {name}") for name in FILTERS])
class AuditViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = AuditEntrySerializer

    def get_queryset(self) -> QuerySet[AuditEntry]:
        given = {name: self.request.query_params.get(name) or None for name in FILTERS}  # empty: not a filter
        return selectors.audit_entries(**given)
