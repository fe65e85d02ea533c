"""Bad input at start-up: a DATABASE_URL or REDIS_URL that never answers. Each process says so
once, naming the URL without its password, and keeps waiting: no traceback, no exit."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, Processes, wait_for
from tests.faults import free_port

pytestmark = pytest.mark.e2e
SECRET = "s3cret-pw"


def test_processes_wait_for_a_database_and_redis_that_never_answer(processes: Processes) -> None:
    database_url = f"postgres://jobs:{SECRET}@127.0.0.1:{free_port()}/jobs"
    redis_url = f"redis://:{SECRET}@127.0.0.1:{free_port()}/0"
    processes.extra_env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "CELERY_BROKER_URL": redis_url}
    processes.beat()
    processes.worker(pool="threads", concurrency=1)
    grpc_log = processes.tmp_path / "grpc.log"
    with grpc_log.open("wb") as log:
        grpc = subprocess.Popen(
            [sys.executable, "manage.py", "grpcserver", "--port", "0"], cwd=ROOT, env=processes.env(), stdout=log, stderr=subprocess.STDOUT
        )
    try:
        logs = lambda: {name: processes.log(name) for name in ("beat", "worker")} | {"grpc": grpc_log.read_text()}  # noqa: E731
        wait_for(lambda: all("unavailable" in text for text in logs().values()), timeout=60, message="each process to report the outage")
        time.sleep(3)  # still waiting, not exited
        assert processes.exited() == {} and grpc.poll() is None
    finally:
        grpc.terminate()
        grpc.wait(timeout=15)
    for name, text in logs().items():
        assert SECRET not in text and "Traceback" not in text, name
    assert f"the database at postgres://jobs:***@127.0.0.1:{database_url.rsplit(':', 1)[1]}" in logs()["beat"]
    assert "the broker at redis://:**@127.0.0.1" in logs()["worker"]
