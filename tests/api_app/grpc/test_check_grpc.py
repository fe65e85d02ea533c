"""The gRPC container's health check against a real server, and against nothing."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from tests.sentinel_set import free_port


def test_a_serving_server_passes(grpc_port: int, capsys) -> None:
    call_command("check_grpc", "--address", f"127.0.0.1:{grpc_port}")
    assert "SERVING" in capsys.readouterr().out


def test_no_server_fails_within_its_timeout() -> None:
    with pytest.raises(CommandError, match="UNAVAILABLE|DEADLINE_EXCEEDED"):
        call_command("check_grpc", "--address", f"127.0.0.1:{free_port()}", "--timeout", "1")
