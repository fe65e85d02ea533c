"""Connections the egress policy has checked: the host name is resolved here, every address it
resolves to is checked, and the socket connects to a checked address (never to a second
resolution, which DNS could answer differently)."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

from tasks_app.egress.deadline import current
from tasks_app.egress.policy import EgressDenied, format_target, policy, unmapped

SockAddr = tuple[Any, ...]


def checked_addresses(host: str, port: int) -> list[tuple[int, SockAddr]]:
    """(family, socket address) for each address of ``host``; EgressDenied when any is refused."""
    infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    rules = policy()
    for info in infos:
        address = unmapped(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]))
        refusal = rules.refusal(address, port)
        if refusal:
            shown = format_target(host, port)
            raise EgressDenied(f"egress policy: {shown} resolves to {refusal}" if str(address) != host else f"egress policy: {refusal}")
    return [(info[0], info[4]) for info in infos]


def connect(host: str, port: int, *, timeout: float | None, socket_options: Any = None, source_address: Any = None) -> socket.socket:
    """A TCP connection to ``host:port`` within the policy, bounded by this thread's exchange
    (tasks_app.egress.deadline) when it makes one, else by ``timeout`` per address tried."""
    error: OSError | None = None
    for family, address in checked_addresses(host, port):
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            sock.settimeout(_connect_timeout(timeout))
            if source_address:
                sock.bind(source_address)
            _watch(sock)
            sock.connect(address)
            return sock
        except OSError as failure:
            error = failure
            sock.close()
    raise error or OSError(f"{host} resolves to no address")


def _connect_timeout(timeout: float | None) -> float | None:
    exchange = current()
    if exchange is None:
        return timeout
    remaining = exchange.remaining()
    if remaining <= 0:
        raise TimeoutError(f"no connection within {exchange.seconds:g}s")
    return remaining if timeout is None else min(timeout, remaining)


def _watch(sock: socket.socket) -> None:
    exchange = current()
    if exchange is not None:
        exchange.watch(sock)
