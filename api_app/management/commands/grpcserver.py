"""Serve standard.Queues (with health checking and reflection) until SIGTERM or SIGINT."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from api_app.grpc.server import QueuesServer
from tasks_app import services
from tasks_app.outages import until_available


class Command(BaseCommand):
    help = "Serve the standard.Queues gRPC service on GRPC_BIND:GRPC_PORT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=settings.GRPC_BIND, help="address to listen on (default GRPC_BIND)")
        parser.add_argument("--port", type=int, default=settings.GRPC_PORT, help="port (default GRPC_PORT; 0 picks a free one)")

    def handle(self, *args: Any, **options: Any) -> None:
        server = QueuesServer(
            bind=options["bind"], port=options["port"], max_workers=settings.GRPC_MAX_WORKERS,
            tls_cert=settings.GRPC_TLS_CERT, tls_key=settings.GRPC_TLS_KEY,
        )  # fmt: skip
        stopping = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.set())
        try:
            port = server.start()
        except RuntimeError as error:
            raise CommandError(f"cannot listen on {server.address}: {error}") from None
        # Redis may have lost the ready queues while no server ran: rebuild them from the rows.
        # Waiting for the database and Redis when they do not answer yet (None: stopped meanwhile).
        repaired = until_available(services.repair_ready_queues, stopping=stopping)
        if repaired is not None:
            self.stdout.write(f"serving standard.Queues on {options['bind']}:{port} (rebuilt {repaired} ready queue(s))")
            self.stdout.flush()
        while not stopping.wait(timeout=1.0):
            pass
        server.stop()
        self.stdout.write("stopped")
