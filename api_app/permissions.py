from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.permissions import BasePermission

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


class ApiAccess(BasePermission):
    """Token (or session) auth on every API endpoint, unless API_AUTH_REQUIRED=false."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not settings.API_AUTH_REQUIRED:
            return True
        return bool(request.user and request.user.is_authenticated)
