"""The project's own fuzzing: schemathesis (its command line, pinned in pyproject) runs every phase
against the OpenAPI document of a real server and fails on any 5xx (``not_a_server_error``).
Examples are limited so the run stays within a few minutes; the seed is fixed, so a failure
reproduces with the same command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.e2e
MAX_EXAMPLES = 10
RUN_LIMIT_SECONDS = 300


def test_no_operation_answers_a_server_error_under_fuzzing(live_server, settings, tmp_path: Path) -> None:
    settings.QUEUE_MAX_WAIT_SECONDS = 1  # long polls the fuzzer asks for would only make it wait
    user = get_user_model().objects.create_user(username="fuzzer", password="pw-for-tests")
    token = Token.objects.create(user=user).key
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{live_server.url}/api/schema",
        "--phases", "examples,coverage,fuzzing,stateful", "--checks", "not_a_server_error",
        "--max-examples", str(MAX_EXAMPLES), "--seed", "18", "--workers", "2",
        "--header", f"Authorization: Token {token}", "--report-dir", str(tmp_path),
        # One connection per request: the test server (wsgiref) reads a malformed request's left-
        # overs as the next request on a kept-alive connection, a failure of its own, not ours.
        "--header", "Connection: close",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=RUN_LIMIT_SECONDS, cwd=tmp_path)
    print(result.stdout[-6000:])  # the summary: operations and phases run, checks passed
    assert result.returncode == 0, result.stdout[-20_000:] + result.stderr[-5_000:]
