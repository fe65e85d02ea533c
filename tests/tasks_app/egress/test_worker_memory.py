"""A worker's memory stays flat whatever comes back: real worker and beat processes call a real
server that offers 200 MB responses, and the worker's peak resident size is read from /proc."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug import Response

from tasks_app.models import Execution
from tests.conftest import wait_for
from tests.factories import make_job

pytestmark = pytest.mark.e2e
OFFERED_MB = 200
ALLOWED_GROWTH_KB = 20 * 1024


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (the peak so far) of a process, in kB."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {name: int(fields[name].split()[0]) for name in ("VmRSS", "VmHWM")}


def offered(chunks: list[int]) -> Iterator[bytes]:
    for _ in range(OFFERED_MB):
        chunks.append(1)
        yield b"m" * (1 << 20)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_200_mb_responses_leave_the_workers_memory_flat(processes, receiver) -> None:
    chunks: list[int] = []
    receiver.expect_request("/small").respond_with_data("ok")
    receiver.expect_request("/big").respond_with_handler(lambda request: Response(offered(chunks), content_type="text/plain"))
    worker = processes.worker(pool="threads", concurrency=2)
    processes.beat()
    warm = make_job(callback={"url": receiver.url_for("/small"), "timeout_seconds": 30})
    wait_for(lambda: Execution.objects.filter(job=warm, status="succeeded").exists(), timeout=60, message="the warm-up call")
    before = memory_kb(worker.pid)
    jobs = [make_job(callback={"url": receiver.url_for("/big"), "timeout_seconds": 30}) for _ in range(3)]
    wait_for(lambda: Execution.objects.filter(job__in=jobs, status="succeeded").count() == 3, timeout=90, message="the big calls")
    after = memory_kb(worker.pid)
    growth = max(after["VmHWM"] - before["VmHWM"], after["VmRSS"] - before["VmRSS"])
    assert growth < ALLOWED_GROWTH_KB, f"grew {growth} kB: {before} -> {after}"
    assert all("cut at 1048576 bytes" in e.response_body for e in Execution.objects.filter(job__in=jobs))
    assert len(chunks) < 3 * 10, "the server was drained instead of cut off"
