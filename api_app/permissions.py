from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.permissions import BasePermission

from api_app.tenancy import scope_of
from tasks_app import scope

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


class ApiAccess(BasePermission):
    """Token (or session) auth on every API endpoint, unless API_AUTH_REQUIRED=false. Every API
    view checks it, so it is where the request's namespace scope is set, from its caller."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        scope.activate(scope_of(request.user, request.auth))
        if not settings.API_AUTH_REQUIRED:
            return True
        return bool(request.user and request.user.is_authenticated)


class StaffOnly(BasePermission):
    """Staff and superusers only (managing tokens)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_staff or user.is_superuser))
