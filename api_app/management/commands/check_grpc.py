"""A container's health check for the gRPC server: the standard health service answers SERVING.

With GRPC_TLS_CERT set the server speaks TLS only, so the check does too, trusting that
certificate (``--ca`` names the issuing CA's instead, ``--server-name`` the name it was issued for
when that is not the address's host)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from grpc_health.v1 import health_pb2, health_pb2_grpc


class Command(BaseCommand):
    help = "Exit 0 when the gRPC server on this host answers its health check with SERVING."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--address", default=f"127.0.0.1:{settings.GRPC_PORT}")
        parser.add_argument("--timeout", type=float, default=3.0)
        parser.add_argument("--ca", default=settings.GRPC_TLS_CERT, help="PEM file to trust (default GRPC_TLS_CERT; empty: plaintext)")
        parser.add_argument("--server-name", default="", help="the name the server's certificate was issued for")

    def handle(self, *args: Any, address: str, timeout: float, ca: str, server_name: str, **options: Any) -> None:
        with self._channel(address, ca, server_name) as channel:
            try:
                reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout)
            except grpc.RpcError as error:
                raise CommandError(f"gRPC at {address}: {error.code().name}") from error
        if reply.status != health_pb2.HealthCheckResponse.SERVING:
            raise CommandError(f"gRPC at {address}: {health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)}")
        self.stdout.write(f"gRPC at {address}: SERVING")

    @staticmethod
    def _channel(address: str, ca: str, server_name: str) -> grpc.Channel:
        if not ca:
            return grpc.insecure_channel(address)
        credentials = grpc.ssl_channel_credentials(root_certificates=Path(ca).read_bytes())
        options = [("grpc.ssl_target_name_override", server_name)] if server_name else []
        return grpc.secure_channel(address, credentials, options=options)
