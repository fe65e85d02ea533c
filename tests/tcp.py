"""A real TCP server on 127.0.0.1 (port 0) for socket callbacks: each connection's first line is
recorded and answered by a handler; every wait is bounded."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Callable
from typing import Any

# The longest a handler waits for the line it reads, or holds a connection it does not answer.
HOLD_SECONDS = 10
MAX_LINE_BYTES = 1 << 20

# Answers a received line with bytes to send back, or None to send nothing and hold the connection.
Answer = Callable[[str], bytes | None]


class LineServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, answer: Answer) -> None:
        super().__init__(("127.0.0.1", 0), _LineHandler)
        self.answer = answer
        self.lines: list[str] = []
        self.released = threading.Event()
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def documents(self) -> list[Any]:
        return [json.loads(line) for line in self.lines]

    def __enter__(self) -> LineServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self.shutdown()
        self.server_close()
        self.thread.join(timeout=5)


class _LineHandler(socketserver.StreamRequestHandler):
    server: LineServer
    timeout = HOLD_SECONDS

    def handle(self) -> None:
        raw = self.rfile.readline(MAX_LINE_BYTES)
        if not raw:
            return
        line = raw.decode()
        self.server.lines.append(line.rstrip("\n"))
        reply = self.server.answer(line)
        if reply is None:
            self.server.released.wait(timeout=HOLD_SECONDS)
        else:
            self.wfile.write(reply)
