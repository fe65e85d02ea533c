from __future__ import annotations

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from api_app.v1.operator_views import AlertRuleViewSet, AuditViewSet
from api_app.v1.registry_views import RouteViewSet, ServiceViewSet
from api_app.v1.tenancy_views import RotateSigningSecretView, SigningSecretView, TokenViewSet
from api_app.v1.views import ExecutionViewSet, JobViewSet


class OptionalSlashRouter(SimpleRouter):
    """Routes that answer with or without a trailing slash (the design's path contract)."""

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("jobs", JobViewSet, basename="job")
router.register("executions", ExecutionViewSet, basename="execution")
router.register("services", ServiceViewSet, basename="service")
router.register(r"services/(?P<service_id>-?[0-9]+)/routes", RouteViewSet, basename="service-route")
router.register("tokens", TokenViewSet, basename="token")
router.register("alert-rules", AlertRuleViewSet, basename="alert-rule")
router.register("audit", AuditViewSet, basename="audit")

urlpatterns = [
    *router.urls,
    re_path(r"^namespaces/(?P<namespace>[^/]+)/signing-secret/?$", SigningSecretView.as_view(), name="signing-secret"),
    re_path(r"^namespaces/(?P<namespace>[^/]+)/signing-secret/rotate/?$", RotateSigningSecretView.as_view(), name="signing-secret-rotate"),
]
