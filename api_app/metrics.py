"""GET /metrics: the Prometheus text format. Authenticated like the API, and also with
``Authorization: Bearer <key>`` (what Prometheus' ``authorization`` config sends)."""

from __future__ import annotations

from django.http import HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST
from rest_framework.authentication import TokenAuthentication
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from tasks_app.metrics import exposition


class BearerTokenAuthentication(TokenAuthentication):
    keyword = "Bearer"


class MetricsView(APIView):
    authentication_classes = [*api_settings.DEFAULT_AUTHENTICATION_CLASSES, BearerTokenAuthentication]  # type: ignore[list-item]
    schema = None  # not part of the v1 API's OpenAPI document

    def get(self, request: Request) -> HttpResponse:
        return HttpResponse(exposition.render(), content_type=CONTENT_TYPE_LATEST)
