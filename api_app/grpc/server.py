"""The gRPC server: standard.Queues, with the standard health-checking and reflection (v1 and v1alpha) services.

``python manage.py grpcserver`` runs it on GRPC_BIND:GRPC_PORT; tests start one on port 0."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from api_app.grpc import reflection, servicer
from api_app.grpc.auth import TokenAuthInterceptor

logger = logging.getLogger(__name__)
# Dead peers are found by HTTP/2 pings (so a vanished worker's stream drops and its tasks come
# back), and clients may ping us as often as every 10 s.
OPTIONS = [
    ("grpc.keepalive_time_ms", 20_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
]


class QueuesServer:
    """One gRPC server; ``start`` returns the port it bound (the one asked for, or a free one for 0)."""

    def __init__(self, *, bind: str, port: int, max_workers: int, tls_cert: str = "", tls_key: str = "") -> None:
        self.address = f"[{bind}]:{port}" if ":" in bind else f"{bind}:{port}"
        self.tls = (Path(tls_key).read_bytes(), Path(tls_cert).read_bytes()) if tls_cert and tls_key else None
        self.server = grpc.server(
            ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="grpc"),
            options=OPTIONS,
            maximum_concurrent_rpcs=max_workers,
            interceptors=[TokenAuthInterceptor()],
        )
        self.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(servicer.SERVICE, servicer.method_handlers()),))
        self.health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable(self.server, (servicer.SERVICE, health.SERVICE_NAME))

    def start(self) -> int:
        if self.tls is None:
            port = self.server.add_insecure_port(self.address)
        else:
            port = self.server.add_secure_port(self.address, grpc.ssl_server_credentials([self.tls]))
        self.server.start()
        for name in ("", servicer.SERVICE):
            self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        logger.info(
            "gRPC server for %s started at %s, port %d (%s)", servicer.SERVICE, self.address, port, "TLS" if self.tls else "plaintext"
        )
        return port

    def stop(self, grace: float = 2.0) -> None:
        """Refuse new calls, let running ones finish for ``grace`` seconds, cancel the rest, and
        wait until the tasks of the streams that were cancelled are back in their queues."""
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()
        servicer.wait_for_returns()
