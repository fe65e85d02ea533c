"""Who is calling, and so which namespaces it sees: token authentication that knows API clients,
and the scope each request runs in (tasks_app.scope). Decision 1001."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed, Throttled

from api_app.throttling import FailedTokenThrottle
from tasks_app import scope, selectors
from tasks_app.models import ApiClient


class ApiTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``: an API client's key, else a user's DRF token (drf_create_token).
    An address sending too many wrong tokens gets 429 (FailedTokenThrottle) instead of 401."""

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        try:
            return super().authenticate(request)
        except AuthenticationFailed:
            wait = FailedTokenThrottle().seconds_locked_out(request)
            if wait is not None:
                raise Throttled(wait) from None
            raise

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        client = selectors.api_client_for_key(key=key)
        if client is not None and client.user.is_active:
            return client.user, client
        return super().authenticate_credentials(key)


def scope_of(user: Any, auth: Any) -> scope.Scope:
    """An API client sees its patterns; staff and superusers everything; another user's token
    nothing (make it an API client); nobody everything only where API_AUTH_REQUIRED is off."""
    if isinstance(auth, ApiClient):
        return auth.scope
    if user is not None and user.is_authenticated:
        return scope.EVERYTHING if (user.is_staff or user.is_superuser) else scope.NOTHING
    return scope.NOTHING if settings.API_AUTH_REQUIRED else scope.EVERYTHING


def scope_middleware(get_response: Any) -> Any:
    """Whatever scope a request activates (ApiAccess, once it knows the caller) ends with it."""

    def middleware(request: Any) -> Any:
        with scope.using(scope.EVERYTHING):
            return get_response(request)

    return middleware
