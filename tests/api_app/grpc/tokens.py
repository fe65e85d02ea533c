"""Client side of gRPC token auth: a channel whose every call carries ``authorization: Token <key>``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token


class _TokenMetadata(grpc.UnaryUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    def __init__(self, key: str) -> None:
        self.metadata = (("authorization", f"Token {key}"),)

    def _details(self, details: Any) -> Any:
        return details._replace(metadata=(*(details.metadata or ()), *self.metadata))

    def intercept_unary_unary(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_stream_stream(self, continuation: Callable[..., Any], details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)


def authorized(channel: grpc.Channel, key: str) -> grpc.Channel:
    return grpc.intercept_channel(channel, _TokenMetadata(key))


def staff_key() -> str:
    user, _ = get_user_model().objects.get_or_create(username="grpc-operator", defaults={"is_staff": True})
    return Token.objects.get_or_create(user=user)[0].key
