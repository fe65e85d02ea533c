"""Token auth and namespace scoping for standard.Queues over gRPC, as on REST: metadata
``authorization: Token <key>`` (an API client's key or a staff user's DRF token). Without a valid
one (while API_AUTH_REQUIRED) a call ends UNAUTHENTICATED before any handler runs; with one,
the handler runs in the caller's scope (tasks_app.scope), so the same lookups and checks apply
as on the REST mirror. Other services (health checking, reflection) stay open."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import grpc
from django.conf import settings
from rest_framework.exceptions import AuthenticationFailed

from api_app.grpc.database import ServerDatabase
from api_app.grpc.servicer import SERVICE
from api_app.tenancy import ApiTokenAuthentication, scope_of
from tasks_app import scope
from tasks_app.outages import DATABASE_ERRORS, REDIS_ERRORS, drop_broken_connections

KEYWORD = "token"


class Unauthenticated(Exception):
    pass


UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED


def caller_scope(metadata: tuple[tuple[str, Any], ...], database: ServerDatabase) -> scope.Scope:
    """The scope of the call's token; raises Unauthenticated when it has no valid one."""
    given = [str(value) for name, value in metadata if name.lower() == "authorization"]
    if not given:
        if settings.API_AUTH_REQUIRED:
            raise Unauthenticated("send metadata authorization: Token <key>")
        return scope.EVERYTHING
    keyword, _, key = given[0].strip().partition(" ")
    if keyword.lower() != KEYWORD or not key.strip():
        raise Unauthenticated("authorization must be 'Token <key>'")
    try:
        return database.run(_scope_of_key, key.strip())  # on the server's database threads: no connection per gRPC thread
    except AuthenticationFailed as error:
        raise Unauthenticated(str(error.detail)) from None


def _scope_of_key(key: str) -> scope.Scope:
    user, auth = ApiTokenAuthentication().authenticate_credentials(key)
    return scope_of(user, auth)


def _refusal(handler: grpc.RpcMethodHandler, message: str, code: grpc.StatusCode = UNAUTHENTICATED) -> grpc.RpcMethodHandler:
    def abort(request: Any, context: grpc.ServicerContext) -> Any:
        context.abort(code, message)

    kind = grpc.stream_stream_rpc_method_handler if handler.request_streaming else grpc.unary_unary_rpc_method_handler
    return kind(abort, request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer)


def _unary_in(caller: scope.Scope, behavior: Callable[..., Any]) -> Callable[..., Any]:
    def run(request: Any, context: grpc.ServicerContext) -> Any:
        with scope.using(caller):
            return behavior(request, context)

    return run


def _stream_in(caller: scope.Scope, behavior: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    """Each step of the response stream runs in the scope (set and reset around each ``next``,
    so nothing leaks into the server thread, whichever thread ends the stream)."""

    def run(requests: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        responses = behavior(requests, context)
        while True:
            with scope.using(caller):
                try:
                    response = next(responses)
                except StopIteration:
                    return
            yield response

    return run


def _scoped(handler: grpc.RpcMethodHandler, caller: scope.Scope) -> grpc.RpcMethodHandler:
    if handler.request_streaming and handler.response_streaming:
        return grpc.stream_stream_rpc_method_handler(
            _stream_in(caller, handler.stream_stream),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    return grpc.unary_unary_rpc_method_handler(
        _unary_in(caller, handler.unary_unary),
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


class TokenAuthInterceptor(grpc.ServerInterceptor):
    """Looks tokens up on ``database``, the server's database threads."""

    def __init__(self, database: ServerDatabase) -> None:
        self.database = database

    def intercept_service(self, continuation: Callable[..., Any], details: grpc.HandlerCallDetails) -> Any:
        handler = continuation(details)
        if handler is None or not details.method.startswith(f"/{SERVICE}/"):
            return handler
        try:
            caller = caller_scope(tuple(details.invocation_metadata or ()), self.database)
        except Unauthenticated as error:
            return _refusal(handler, str(error))
        except DATABASE_ERRORS + REDIS_ERRORS as error:  # the token cannot be checked now: a call to retry (decision 0801)
            drop_broken_connections()
            return _refusal(handler, f"unavailable: {type(error).__name__}: {error}", grpc.StatusCode.UNAVAILABLE)
        return _scoped(handler, caller)
