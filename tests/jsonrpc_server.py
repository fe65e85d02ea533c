"""A real JSON-RPC 1.0 server on 127.0.0.1 (port 0) that answers as Go's net/rpc/jsonrpc server
codec does: it decodes request objects from the stream, calls ``Service.Method`` with the single
element of ``params``, and writes ``{"id", "result", "error"}`` and a newline."""

from __future__ import annotations

import json
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

_decoder = json.JSONDecoder()
# A connection that sends nothing for this long is closed (every test server is bounded).
READ_TIMEOUT_SECONDS = 5.0


class RpcError(Exception):
    """Raised by a handler: the reply carries it as ``error`` (result null), as Go's does."""


@dataclass(frozen=True)
class Raw:
    """A handler's answer written as it is, instead of a proper reply (broken servers)."""

    data: bytes
    delay_seconds: float = 0.0
    close: bool = False  # hang up after writing it


Handler = Callable[[Any], Any]


class JsonRpcServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handlers: dict[str, Handler]) -> None:
        super().__init__(("127.0.0.1", 0), _Connection)
        self.handlers = handlers
        self.requests: list[dict[str, Any]] = []  # every request decoded, in order
        self.raw: list[bytes] = []  # the bytes each connection sent
        self.lock = threading.Lock()

    @property
    def address(self) -> str:
        host, port = self.server_address[:2]
        return f"{host}:{port}"

    def answer(self, request: dict[str, Any]) -> Raw:
        method, params = request.get("method"), request.get("params")
        handler = self.handlers.get(str(method))
        result: Any = None
        error: str | None = None
        if handler is None:
            error = f"rpc: can't find service {method}"
        elif not isinstance(params, list):
            error = "jsonrpc: request body missing params"
        else:
            try:
                result = handler(params[0] if params else None)
            except RpcError as failure:
                error = str(failure)
        if isinstance(result, Raw):
            return result
        return Raw((json.dumps({"id": request.get("id"), "result": None if error else result, "error": error}) + "\n").encode())


class _Connection(socketserver.BaseRequestHandler):
    server: JsonRpcServer

    def handle(self) -> None:
        self.request.settimeout(READ_TIMEOUT_SECONDS)
        buffered = b""
        try:
            while chunk := self.request.recv(65536):
                buffered += chunk
                with self.server.lock:
                    self.server.raw.append(chunk)
                buffered = self._serve_complete(buffered)
        except (TimeoutError, OSError, _HangUp):
            return

    def _serve_complete(self, buffered: bytes) -> bytes:
        text = buffered.decode(errors="replace")
        while text.strip():
            try:
                request, end = _decoder.raw_decode(text.lstrip())
            except ValueError:
                break
            text = text.lstrip()[end:]
            with self.server.lock:
                self.server.requests.append(request)
            reply = self.server.answer(request)
            time.sleep(reply.delay_seconds)
            self.request.sendall(reply.data)
            if reply.close:
                raise _HangUp
        return text.encode()


class _HangUp(Exception):
    pass


@contextmanager
def serving(handlers: dict[str, Handler]) -> Iterator[JsonRpcServer]:
    server = JsonRpcServer(handlers)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
