"""The reported incident, end to end: a peer dripping one byte at a time used to keep a call open
far past its timeout until the sweep declared the worker lost and started a second call of the
same attempt. Real worker and beat processes: the call ends at its timeout, it is the only one."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from tasks_app.models import Execution
from tests.conftest import wait_for
from tests.factories import make_job

pytestmark = pytest.mark.e2e
HOLD_SECONDS = 20.0


class DrippingServer(threading.Thread):
    """Accepts every connection and drips one byte of an HTTP response to it every 0.5 s."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.connections = 0
        self.stopped = threading.Event()

    @property
    def port(self) -> int:
        return int(self.listener.getsockname()[1])

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed by stop()
                return
            self.connections += 1
            threading.Thread(target=self._drip, args=(connection,), daemon=True).start()

    def _drip(self, connection: socket.socket) -> None:
        with connection:
            try:
                connection.recv(65536)
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                stop = time.monotonic() + HOLD_SECONDS
                while time.monotonic() < stop and not self.stopped.is_set():
                    time.sleep(0.5)
                    connection.sendall(b"x")
            except OSError:
                return

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)
        self.listener.close()


def test_a_dripping_peer_ends_at_the_timeout_and_the_attempt_is_called_once(processes, settings) -> None:
    server = DrippingServer()
    server.start()
    try:
        processes.worker()
        processes.beat()
        job = make_job(callback={"url": f"http://127.0.0.1:{server.port}/", "timeout_seconds": 2}, retry={"delays_seconds": []})
        execution = wait_for(lambda: Execution.objects.filter(job=job, status="failed").first(), timeout=30, message="the attempt")
        assert "Timeout" in execution.error
        assert (execution.finished_at - execution.started_at).total_seconds() < 4
        time.sleep(2 + settings.EXECUTION_RECOVERY_GRACE_SECONDS + 5)  # past the claim's deadline, and a sweep
        assert server.connections == 1
        assert list(Execution.objects.filter(job=job).values_list("status", flat=True)) == ["failed"]
    finally:
        server.stop()
