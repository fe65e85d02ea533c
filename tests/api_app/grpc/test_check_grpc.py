"""The gRPC container's health check against a real server, and against nothing."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from api_app.grpc.server import QueuesServer
from tests.api_app.grpc.test_auth import self_signed
from tests.sentinel_set import free_port


def test_a_serving_server_passes(grpc_port: int, capsys) -> None:
    call_command("check_grpc", "--address", f"127.0.0.1:{grpc_port}")
    assert "SERVING" in capsys.readouterr().out


def test_no_server_fails_within_its_timeout() -> None:
    with pytest.raises(CommandError, match="UNAVAILABLE|DEADLINE_EXCEEDED"):
        call_command("check_grpc", "--address", f"127.0.0.1:{free_port()}", "--timeout", "1")


def test_a_tls_server_is_checked_over_tls(transactional_db, redis_client, tmp_path, settings, capsys) -> None:
    cert_path, key_path = self_signed(tmp_path)
    settings.GRPC_TLS_CERT, settings.GRPC_TLS_KEY = str(cert_path), str(key_path)
    server = QueuesServer(bind="127.0.0.1", port=0, max_workers=4, tls_cert=str(cert_path), tls_key=str(key_path))
    port = server.start()
    try:
        call_command("check_grpc", "--address", f"127.0.0.1:{port}")  # GRPC_TLS_CERT: over TLS
        assert "SERVING" in capsys.readouterr().out
        with pytest.raises(CommandError, match="UNAVAILABLE"):
            call_command("check_grpc", "--address", f"127.0.0.1:{port}", "--ca", "", "--timeout", "2")
    finally:
        server.stop(grace=0)
