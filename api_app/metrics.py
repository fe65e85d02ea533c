"""GET /metrics: the Prometheus text format. Authenticated like the API, and also with
``Authorization: Bearer <key>`` (what Prometheus' ``authorization`` config sends)."""

from __future__ import annotations

from django.http import HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from api_app.permissions import ApiAccess
from api_app.tenancy import ApiTokenAuthentication
from tasks_app import scope
from tasks_app.metrics import exposition


class BearerTokenAuthentication(ApiTokenAuthentication):
    keyword = "Bearer"


class SeesEveryNamespace(BasePermission):
    """The series are platform-wide (every namespace is a label value): staff, or a token whose
    patterns include ``*``."""

    message = "metrics cover every namespace: use a staff user's token or an API token for '*'"

    def has_permission(self, request: Request, view: APIView) -> bool:
        current = scope.current()
        return current.unrestricted or "*" in (current.patterns or ())


class MetricsView(APIView):
    authentication_classes = [*api_settings.DEFAULT_AUTHENTICATION_CLASSES, BearerTokenAuthentication]  # type: ignore[list-item]
    permission_classes = [ApiAccess, SeesEveryNamespace]
    schema = None  # not part of the v1 API's OpenAPI document

    def get(self, request: Request) -> HttpResponse:
        # The caller sees every namespace: count as the platform does, straight from the partial
        # indexes (a "*" token's scope would add a regex test on every row's namespace).
        with scope.using(scope.EVERYTHING):
            return HttpResponse(exposition.render(), content_type=CONTENT_TYPE_LATEST)
