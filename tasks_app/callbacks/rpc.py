"""RPC callbacks: JSON-RPC 1.0 over TCP, exactly as Go's ``net/rpc/jsonrpc`` speaks it, so a Go
service serves them with the standard library (``rpc.Register`` + ``jsonrpc.ServeConn``).

One connection per attempt: send ``{"method": "Service.Method", "params": [params], "id": n}``
and a newline, read one JSON reply ``{"id", "result", "error"}``. A non-null ``error`` is a
failure; otherwise ``success_regexp`` (when set) must match the compact JSON of ``result``.
"""

from __future__ import annotations

import json
import re
import socket
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

from django.conf import settings

from tasks_app.callbacks.base import Callback, CallContext, Outcome, host_port, reject_unknown, timeout_from, truncate
from tasks_app.callbacks.http import compile_regexp
from tasks_app.egress import EgressDenied, bounded, check_host, connect
from tasks_app.exceptions import InvalidCallback

# Go registers a service under its type name (or any name given to RegisterName), and splits
# "Service.Method" at the last dot; the method is an exported Go identifier.
SERVICE_METHOD = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
_decoder = json.JSONDecoder()


class RpcFailure(Exception):
    """The exchange broke down (unreachable, timed out, not a JSON-RPC reply)."""


def split_address(address: Any, *, field: str = "address") -> tuple[str, int]:
    """``host:port`` (an IPv6 host in brackets) as (host, port)."""
    if not isinstance(address, str) or not address.strip():
        raise InvalidCallback("is required, as host:port", field=field)
    try:
        parts = urlsplit(f"//{address.strip()}")
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or port is None or port == 0 or parts.path or parts.username is not None:
        raise InvalidCallback(f"must be host:port, got {address!r}", field=field)
    return host, port


def validate_service_method(method: Any, *, field: str = "method") -> str:
    if not isinstance(method, str) or not SERVICE_METHOD.fullmatch(method):
        raise InvalidCallback(f"must be Service.Method, got {method!r}", field=field)
    return method


def _json_value(value: Any, *, field: str) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        raise InvalidCallback("must be a JSON value", field=field) from None
    return value


def compact_json(value: Any) -> str:
    """JSON as Go's encoder writes it: no spaces, non-ASCII characters kept as they are."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def exchange(host: str, port: int, line: bytes, *, timeout: float) -> Any:
    """Send one request line and read one JSON reply, all within ``timeout`` seconds of
    wall-clock time (tasks_app.egress.deadline), to an address the egress policy allows."""
    with bounded(timeout) as bound:
        try:
            with connect(host, port, timeout=timeout) as connection:
                connection.sendall(line)
                return _read_reply(connection, settings.CALLBACK_MAX_RESPONSE_BYTES)
        except (OSError, RpcFailure) as error:
            # The deadline shuts the socket: what the read saw then is the timeout.
            if bound.expired or isinstance(error, TimeoutError):
                raise RpcFailure(f"no reply within {timeout:g}s") from None
            raise RpcFailure(str(error) if isinstance(error, RpcFailure) else f"{type(error).__name__}: {error}") from None


def _read_reply(connection: socket.socket, limit: int) -> Any:
    received = b""
    while len(received) <= limit:
        chunk = connection.recv(65536)
        if not chunk:
            raise RpcFailure(f"connection closed before a complete reply ({len(received)} bytes)")
        received += chunk
        text = received.decode(errors="replace").lstrip()
        if text and not text.startswith("{"):
            raise RpcFailure(f"not a JSON-RPC reply: {truncate(text, 200)!r}")
        try:
            return _decoder.raw_decode(text)[0]
        except ValueError:
            continue  # an incomplete value: read on
    raise RpcFailure(f"reply longer than CALLBACK_MAX_RESPONSE_BYTES ({limit} bytes)")


@dataclass(frozen=True)
class RpcCallback(Callback):
    kind: ClassVar[str] = "rpc"
    address: str
    method: str
    params: Any = None
    timeout_seconds: float = 10.0
    success_regexp: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RpcCallback:
        reject_unknown(data, {"kind", "address", "method", "params", "timeout_seconds", "success_regexp"})
        host, port = split_address(data.get("address"))
        check_host(host, port, field="address")
        return cls(
            address=str(data["address"]).strip(),
            method=validate_service_method(data.get("method")),
            params=_json_value(data.get("params"), field="params"),
            timeout_seconds=timeout_from(data),
            success_regexp=compile_regexp(data.get("success_regexp")),
        )

    @property
    def target(self) -> str:
        return host_port(*split_address(self.address))

    def request_line(self, request_id: int) -> str:
        """The request exactly as Go's jsonrpc client codec writes it (one argument, in a list)."""
        return json.dumps({"method": self.method, "params": [self.params], "id": request_id})

    def call(self, context: CallContext) -> Outcome:
        line = self.request_line(context.execution_id)
        request = {"address": self.address, "method": self.method, "id": context.execution_id, "body": truncate(line)}
        host, port = split_address(self.address)
        try:
            reply = exchange(host, port, (line + "\n").encode(), timeout=self.timeout_seconds)
        except EgressDenied as refusal:
            return Outcome(succeeded=False, request=request, error=str(refusal), retryable=False)
        except RpcFailure as failure:
            return Outcome(succeeded=False, request=request, error=str(failure))
        return self.judge(reply, context.execution_id, request)

    def judge(self, reply: Any, request_id: int, request: dict[str, Any]) -> Outcome:
        """A reply with a non-null ``error`` fails; then the regexp must match ``result``."""
        body = truncate(compact_json(reply))
        if not isinstance(reply, dict) or ("result" not in reply and "error" not in reply):
            return Outcome(succeeded=False, request=request, response_body=body, error="not a JSON-RPC reply")
        problem = ""
        if reply.get("id") != request_id:
            problem = f"reply id {reply.get('id')!r} does not answer request id {request_id}"
        elif reply.get("error") is not None:
            problem = f"rpc error: {reply['error']}"
        elif self.success_regexp and not re.search(self.success_regexp, compact_json(reply.get("result"))):
            problem = f"result does not match {self.success_regexp!r}"
        return Outcome(succeeded=not problem, request=request, response_body=body, error=problem)
