"""Socket callbacks: one newline-framed JSON exchange over TCP.

Framing: connect to ``host:port``; send the recall document (``tasks_app.callbacks.recall``,
with ``payload`` as its ``data``) as UTF-8 JSON on one line ending in ``\\n``; read until the
first ``\\n`` (a trailing ``\\r`` is dropped, and a peer that closes after its reply without a
newline is read up to the close); judge that line by the recall's ``success`` rule; close. The
write side is not shut down before the reply, so servers that treat end-of-input as "client
gone" still answer. The whole exchange (connect, send, read) shares one timeout.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings

from tasks_app.callbacks import verbatim
from tasks_app.callbacks.base import Callback, CallContext, Outcome, host_port, reject_unknown, timeout_from, truncate
from tasks_app.callbacks.recall import judge_reply, recall_document
from tasks_app.egress import EgressDenied, bounded, check_host, connect
from tasks_app.exceptions import InvalidCallback
from tasks_app.stored import Writers

_CHUNK_BYTES = 64 * 1024


def validate_host(host: Any, *, field: str = "host") -> str:
    if not isinstance(host, str) or not host.strip():
        raise InvalidCallback("is required", field=field)
    if len(host) > 255 or any(c.isspace() for c in host.strip()):
        raise InvalidCallback(f"is not a host name or address: {host!r}", field=field)
    return host.strip()


def validate_port(port: Any, *, field: str = "port") -> int:
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise InvalidCallback("must be a whole number from 1 to 65535", field=field)
    return port


def _read_line(connection: socket.socket, limit: int) -> bytes:
    """The first line, up to ``limit`` bytes: a longer one is refused, not read to its end."""
    received = bytearray()
    while b"\n" not in received and len(received) <= limit:
        chunk = connection.recv(_CHUNK_BYTES)
        if not chunk:
            break
        received += chunk
    if not received:
        raise ConnectionError("the peer closed the connection without replying")
    line = bytes(received).split(b"\n", 1)[0]
    if len(line) > limit:
        raise ValueError(f"the reply line is longer than CALLBACK_MAX_RESPONSE_BYTES ({limit} bytes)")
    return line.rstrip(b"\r")


def exchange_line(host: str, port: int, line: bytes, *, timeout: float) -> str:
    """Send one line and read one line back, all within ``timeout`` seconds of wall-clock time
    (tasks_app.egress.deadline), to an address the egress policy allows."""
    with bounded(timeout) as exchange:
        try:
            with connect(host, port, timeout=timeout) as connection:
                connection.sendall(line)
                reply = _read_line(connection, settings.CALLBACK_MAX_RESPONSE_BYTES)
        except (OSError, ValueError):
            # The deadline shuts the socket: what the read saw then is the timeout.
            if exchange.expired:
                raise TimeoutError(f"no reply line within {timeout:g}s") from None
            raise
        if exchange.expired:  # the shut socket ended the line early
            raise TimeoutError(f"no reply line within {timeout:g}s")
        return reply.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class SocketCallback(Callback):
    kind: ClassVar[str] = "socket"
    host: str
    port: int
    payload: Any = None
    timeout_seconds: float = 10.0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SocketCallback:
        reject_unknown(data, {"kind", "host", "port", "timeout_seconds"} | verbatim.names("payload"))
        host, port = validate_host(data.get("host")), validate_port(data.get("port"))
        check_host(host, port, field="host")
        return cls(
            host=host,
            port=port,
            payload=verbatim.loaded(data, "payload"),
            timeout_seconds=timeout_from(data),
        )

    stored_as: ClassVar[Writers] = {"payload": verbatim.stored}

    @property
    def target(self) -> str:
        return host_port(self.host, self.port)

    def call(self, context: CallContext) -> Outcome:
        line = recall_document(self.payload, context) + "\n"
        request = {"host": self.host, "port": self.port, "body": truncate(line)}
        try:
            reply = exchange_line(self.host, self.port, line.encode(), timeout=self.timeout_seconds)
        except EgressDenied as refusal:
            return Outcome(succeeded=False, request=request, error=str(refusal), retryable=False)
        except (OSError, ValueError) as error:
            return Outcome(succeeded=False, request=request, error=f"{type(error).__name__}: {error}")
        return judge_reply(reply, Outcome(succeeded=True, request=request, response_body=truncate(reply)))
