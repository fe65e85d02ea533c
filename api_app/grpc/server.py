"""The gRPC server: standard.Queues, with the standard health-checking and reflection (v1 and v1alpha) services.

``python manage.py grpcserver`` runs it on GRPC_BIND:GRPC_PORT; tests start one on port 0."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import grpc
from django.conf import settings
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from api_app.grpc import reflection
from api_app.grpc.auth import TokenAuthInterceptor
from api_app.grpc.database import ServerDatabase
from api_app.grpc.servicer import SERVICE, QueuesServicer

logger = logging.getLogger(__name__)
# Dead peers are found by HTTP/2 pings (so a vanished worker's stream drops and its tasks come
# back), and clients may ping us as often as every 10 s.
OPTIONS = [
    ("grpc.keepalive_time_ms", 20_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
]


@dataclass(frozen=True)
class Running:
    """What a started server runs on; each part is ended by ``QueuesServer.stop``."""

    server: grpc.Server
    calls: ThreadPoolExecutor
    servicer: QueuesServicer
    database: ServerDatabase
    health: health.HealthServicer


class QueuesServer:
    """One gRPC server; ``start`` returns the port it bound (the one asked for, or a free one for 0).
    Its threads (the calls', the database's, the servicer's) are made by ``start`` and ended by
    ``stop``: nothing of it exists before, or is left after."""

    def __init__(self, *, bind: str, port: int, max_workers: int, tls_cert: str = "", tls_key: str = "") -> None:
        self.address = f"[{bind}]:{port}" if ":" in bind else f"{bind}:{port}"
        self.tls = (Path(tls_key).read_bytes(), Path(tls_cert).read_bytes()) if tls_cert and tls_key else None
        self.max_workers = max_workers
        self.running: Running | None = None

    def _run(self) -> Running:
        database = ServerDatabase(threads=settings.GRPC_DATABASE_THREADS)
        servicer = QueuesServicer(database)
        calls = ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="grpc")
        server = grpc.server(
            calls, options=OPTIONS, maximum_concurrent_rpcs=self.max_workers, interceptors=[TokenAuthInterceptor(database)]
        )
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, servicer.method_handlers()),))
        checks = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(checks, server)
        reflection.enable(server, (SERVICE, health.SERVICE_NAME))
        return Running(server, calls, servicer, database, checks)

    def start(self) -> int:
        running = self.running = self._run()
        if self.tls is None:
            port = running.server.add_insecure_port(self.address)
        else:
            port = running.server.add_secure_port(self.address, grpc.ssl_server_credentials([self.tls]))
        running.server.start()
        for name in ("", SERVICE):
            running.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        logger.info("gRPC server for %s started at %s, port %d (%s)", SERVICE, self.address, port, "TLS" if self.tls else "plaintext")
        return port

    def stop(self, grace: float = 2.0) -> None:
        """Refuse new calls, let running ones finish for ``grace`` seconds, cancel the rest, and
        wait until the tasks of the streams that were cancelled are back in their queues; then
        end the server's threads, each after the work of those before it."""
        running, self.running = self.running, None
        if running is None:
            return
        running.health.enter_graceful_shutdown()
        running.server.stop(grace).wait()
        running.calls.shutdown(wait=True)  # cancelled calls see it within a second (their loops watch the call)
        running.servicer.stop()
        running.database.stop()
