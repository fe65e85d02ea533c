"""A container's health check for the gRPC server: the standard health service answers SERVING."""

from __future__ import annotations

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

    def handle(self, *args: Any, address: str, timeout: float, **options: Any) -> None:
        with grpc.insecure_channel(address) as channel:
            try:
                reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout)
            except grpc.RpcError as error:
                raise CommandError(f"gRPC at {address}: {error.code().name}") from error
        if reply.status != health_pb2.HealthCheckResponse.SERVING:
            raise CommandError(f"gRPC at {address}: {health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)}")
        self.stdout.write(f"gRPC at {address}: SERVING")
