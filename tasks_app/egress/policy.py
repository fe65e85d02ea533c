"""Which addresses a callback may reach: CALLBACK_DENIED_NETWORKS, CALLBACK_ALLOWED_NETWORKS and,
whatever they say, never the platform's own database, Redis/broker, HTTP and gRPC listeners.

An entry is a network (``169.254.0.0/16``, ``fd00:ec2::254``) or a ``host:port`` (``[::1]:8000``,
``db.internal:5432``); a host name in an entry is resolved once, when the process first builds
the policy. The policy is built once per process and settings (it is read on every call).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
LOOPBACK_NAMES = ("localhost", "ip6-localhost", "ip6-loopback")


class EgressDenied(Exception):
    """A call the egress policy refuses: permanent, a retry cannot mend it."""


@dataclass(frozen=True)
class Endpoint:
    """A denied or allowed ``host:port``: its addresses, or any local address when the host is
    loopback or unspecified (a listener on 0.0.0.0 answers on every address of the machine)."""

    label: str
    port: int
    addresses: frozenset[Address]
    any_local: bool

    def matches(self, address: Address, port: int, local: frozenset[Address]) -> bool:
        if port != self.port:
            return False
        return address in self.addresses or (self.any_local and (is_loopback(address) or address in local))


@dataclass(frozen=True)
class Rules:
    networks: tuple[Network, ...]
    endpoints: tuple[Endpoint, ...]

    def match(self, address: Address, port: int, local: frozenset[Address]) -> str | None:
        """The entry that covers ``address:port``, in the words of the setting, else None."""
        for network in self.networks:
            if address.version == network.version and address in network:
                return str(network)
        for endpoint in self.endpoints:
            if endpoint.matches(address, port, local):
                return endpoint.label
        return None

    def __bool__(self) -> bool:
        return bool(self.networks or self.endpoints)


@dataclass(frozen=True)
class Policy:
    denied: Rules
    own: Rules
    allowed: Rules
    local: frozenset[Address]

    def refusal(self, address: Address, port: int) -> str | None:
        """Why ``address:port`` may not be called, or None when it may."""
        address = unmapped(address)
        shown = format_target(str(address), port)
        own = self.own.match(address, port, self.local)
        if own:
            return f"{shown} is the platform's own {own}"
        denied = self.denied.match(address, port, self.local)
        if denied:
            return f"{shown} is in CALLBACK_DENIED_NETWORKS ({denied})"
        if self.allowed and self.allowed.match(address, port, self.local) is None:
            return f"{shown} is not in CALLBACK_ALLOWED_NETWORKS"
        return None


def format_target(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def is_loopback(address: Address) -> bool:
    return any(address.version == net.version and address in net for net in LOOPBACK)


def unmapped(address: Address) -> Address:
    """An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is the IPv4 address it maps."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def literal_address(host: str) -> Address | None:
    """The address a host literally names, in every form the C library accepts for one:
    ``127.0.0.1``, ``::1``, but also ``2130706433``, ``0x7f.1`` and ``127.1``. None for a name."""
    host = host.strip("[]")
    try:
        return unmapped(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def is_loopback_name(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host in LOOPBACK_NAMES or host.endswith(".localhost")


def resolve_name(host: str, port: int) -> list[Address]:
    """Every address ``host`` resolves to (the system resolver, as a connection would)."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    return [unmapped(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])) for info in infos]


def _endpoint(host: str, port: int, label: str) -> Endpoint:
    host = host.strip("[]") or "0.0.0.0"
    try:
        addresses = frozenset(resolve_name(host, port))
    except OSError:  # a name that does not resolve here matches nothing
        addresses = frozenset()
    local = is_loopback_name(host) or any(is_loopback(a) or a.is_unspecified for a in addresses)
    return Endpoint(label, port, addresses, local)


def _entry(text: str) -> Network | Endpoint:
    """A network, or a host:port (a bare IPv6 address is a network, not host:port)."""
    try:
        return ipaddress.ip_network(text.strip("[]"), strict=False)
    except ValueError:
        pass
    parts = urlsplit(f"//{text}")
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None:
        raise ValueError(f"egress policy entry {text!r} is neither a network nor host:port")
    return _endpoint(parts.hostname, port, text)


def parse_rules(entries: Any) -> Rules:
    items = [e.strip() for e in (entries.split(",") if isinstance(entries, str) else entries or []) if e.strip()]
    parsed = [_entry(item) for item in items]
    networks = tuple(p for p in parsed if not isinstance(p, Endpoint))
    return Rules(networks, tuple(p for p in parsed if isinstance(p, Endpoint)))


def _url_endpoint(url: str, default_port: int, label: str) -> Endpoint | None:
    parts = urlsplit(url)
    if not parts.scheme or parts.scheme.startswith("sqlite"):
        return None
    try:
        port = parts.port or default_port
    except ValueError:
        return None
    return _endpoint(parts.hostname or "localhost", port, label)


def own_endpoints() -> Rules:
    """The platform's own listeners and the services it depends on: never a callback's target."""
    database = settings.DATABASES["default"]
    found: list[Endpoint | None] = [
        _endpoint(settings.EGRESS_HTTP_BIND, settings.HTTP_PORT, f"HTTP listener (port {settings.HTTP_PORT})"),
        _endpoint(settings.GRPC_BIND, settings.GRPC_PORT, f"gRPC listener (port {settings.GRPC_PORT})"),
        _url_endpoint(settings.REDIS_URL, 6379, "Redis"),
        _url_endpoint(settings.CELERY_BROKER_URL, 6379, "broker"),
    ]
    if "sqlite" not in database["ENGINE"]:
        found.append(_endpoint(database.get("HOST") or "localhost", int(database.get("PORT") or 5432), "database"))
    return Rules((), tuple(e for e in found if e is not None))


def _machine_addresses() -> frozenset[Address]:
    """The machine's own addresses, as its host name resolves: a listener bound to 0.0.0.0
    answers on each of them."""
    try:
        return frozenset(resolve_name(socket.gethostname(), 0))
    except OSError:
        return frozenset()


@cache
def _policy(denied: str, allowed: str, own_key: str) -> Policy:
    return Policy(parse_rules(denied), own_endpoints(), parse_rules(allowed), _machine_addresses())


def policy() -> Policy:
    """This process's policy for the current settings (tests change them)."""
    own_key = "|".join(
        map(str, (settings.EGRESS_HTTP_BIND, settings.HTTP_PORT, settings.GRPC_BIND, settings.GRPC_PORT, settings.REDIS_URL,
                  settings.CELERY_BROKER_URL, settings.DATABASES["default"].get("HOST"), settings.DATABASES["default"].get("PORT")))
    )  # fmt: skip
    return _policy(",".join(settings.CALLBACK_DENIED_NETWORKS), ",".join(settings.CALLBACK_ALLOWED_NETWORKS), own_key)
