"""HTTP within the egress policy and the call's bounds: every connection is checked
(tasks_app.egress.connect), each redirect hop is followed here (at most CALLBACK_MAX_REDIRECTS,
never to another scheme), the whole exchange shares one deadline and a body is read up to
CALLBACK_MAX_RESPONSE_BYTES, the rest discarded with its connection.

``fetch`` is the one way the platform makes an outbound HTTP request: callbacks, and whatever
else sends (alerts, webhooks) call it.
"""

from __future__ import annotations

import os
import socket
import threading
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import certifi
import urllib3
from django.conf import settings
from urllib3 import HTTPHeaderDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from tasks_app.egress.connect import checked_addresses, connect
from tasks_app.egress.deadline import bounded, current
from tasks_app.egress.policy import EgressDenied

# One attempt is one request: no retries on a failed connection or read (the job's retry policy
# decides those); redirects are followed by ``fetch`` itself, hop by hop.
NO_RETRIES = urllib3.Retry(total=None, connect=0, read=0, status=0, other=0, redirect=0, raise_on_redirect=False)
# Dropped when a redirect leaves the host, as urllib3 and browsers do.
CREDENTIAL_HEADERS = {"authorization", "cookie", "proxy-authorization"}
_CHUNK = 64 * 1024


class _Guarded:
    """A connection whose socket comes from the policy-checked ``connect`` and is watched by the
    exchange using it (also when the pool reuses it for a later exchange)."""

    sock: Any
    _dns_host: str
    port: int
    timeout: Any
    socket_options: Any
    source_address: Any
    host: str

    def _new_conn(self) -> socket.socket:
        try:
            options = {"socket_options": self.socket_options, "source_address": self.source_address}
            return connect(self._dns_host, self.port, timeout=self.timeout, **options)
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error  # type: ignore[arg-type]
        except TimeoutError as error:
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out") from error
        except OSError as error:
            raise NewConnectionError(self, f"Failed to establish a new connection: {error}") from error  # type: ignore[arg-type]

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        _watch(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        if self.sock is not None:
            _watch(self.sock)
        super().request(*args, **kwargs)  # type: ignore[misc]


def _watch(sock: Any) -> None:
    exchange = current()
    if exchange is not None and sock is not None:
        exchange.watch(sock)


class GuardedHTTPConnection(_Guarded, HTTPConnection):
    pass


class GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    pass


class GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


class Transport:
    """HTTP connections shared by the threads that call through them (urllib3's pools are
    thread-safe): one pool per origin, keeping up to WORKER_CALLBACK_THREADS connections open,
    so calls to a host reuse them. A worker's runtime (tasks_app.worker) holds one for all its
    calls. Proxies come from the environment (HTTP(S)_PROXY, NO_PROXY), read once per origin;
    CAs from REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE, else certifi's.

    urllib3 rather than requests: on a fast receiver, requests' per-call work (preparing the
    request, merging settings, cookies, building its response) costs more CPU than the call
    itself, which a worker making hundreds of calls a second pays (decision 0705)."""

    def __init__(self) -> None:
        options: dict[str, Any] = {
            "maxsize": max(1, settings.WORKER_CALLBACK_THREADS),
            "ca_certs": os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or certifi.where(),
        }
        self._direct = urllib3.PoolManager(**options)
        self._direct.pool_classes_by_scheme = {"http": GuardedHTTPConnectionPool, "https": GuardedHTTPSConnectionPool}
        self._options = options
        self._proxied: dict[str, urllib3.ProxyManager] = {}
        self._proxy_of_origin: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def manager(self, url: str) -> urllib3.PoolManager:
        """The direct manager, or the proxy's. Through a proxy the connection is the proxy's:
        the policy checks the addresses of the target's name before the request is sent."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._proxy_of_origin:
            if len(self._proxy_of_origin) > 1000:
                self._proxy_of_origin.clear()
            self._proxy_of_origin[origin] = _environment_proxy(parts.scheme, parts.hostname or "")
        proxy = self._proxy_of_origin[origin]
        if proxy is None:
            return self._direct
        checked_addresses(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
        with self._lock:
            if proxy not in self._proxied:
                self._proxied[proxy] = urllib3.ProxyManager(proxy, **self._options)
            return self._proxied[proxy]

    def close(self) -> None:
        """Close every pooled connection (a call made after this opens new ones)."""
        with self._lock:
            managers = [self._direct, *self._proxied.values()]
        for manager in managers:
            manager.clear()


def _environment_proxy(scheme: str, host: str) -> str | None:
    if urllib.request.proxy_bypass(host):
        return None
    return urllib.request.getproxies().get(scheme)


@dataclass
class Reply:
    """A response, its body read up to CALLBACK_MAX_RESPONSE_BYTES (``cut`` when there was more)."""

    status: int
    headers: HTTPHeaderDict  # names case-insensitive
    body: bytes
    url: str
    cut: bool = False
    problem: str = ""  # why a redirect was not followed


class Expired(Exception):
    """The exchange's deadline passed."""


def fetch(
    method: str, url: str, *, headers: dict[str, str], body: bytes | None, timeout: float, transport: Transport | None = None
) -> Reply:
    """One HTTP exchange within the egress policy and ``timeout`` seconds of wall-clock time,
    through ``transport`` (a worker runtime's); without one, through connections of its own,
    closed after it. Raises EgressDenied (permanent), Expired, or urllib3's errors (unreachable,
    broken)."""
    if transport is not None:
        return _exchange(transport, method, url, headers, body, timeout)
    own = Transport()
    try:
        return _exchange(own, method, url, headers, body, timeout)
    finally:
        own.close()


def _exchange(transport: Transport, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float) -> Reply:
    with bounded(timeout) as exchange:
        try:
            reply = _follow(transport, method, url, headers, body, timeout)
        except (urllib3.exceptions.HTTPError, OSError) as error:
            if exchange.expired:
                raise Expired(f"no complete response within {timeout:g}s") from error
            raise
        # A body that ends with its connection ends early, as if whole, when the deadline shuts it.
        if exchange.expired:
            raise Expired(f"no complete response within {timeout:g}s")
        return reply


def _follow(transport: Transport, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float) -> Reply:
    for _ in range(settings.CALLBACK_MAX_REDIRECTS + 1):
        response = transport.manager(url).request(
            method, url, body=body, headers=headers, retries=NO_RETRIES, redirect=False, preload_content=False,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
        )  # fmt: skip
        location = response.get_redirect_location()
        if not location:
            return _read(response, url)
        target = urljoin(url, location)
        if urlsplit(target).scheme != urlsplit(url).scheme:
            return _not_followed(response, url, f"redirect to {target} not followed: another scheme")
        _discard(response)
        method, body, headers = _redirected(response.status, method, body, headers, url, target)
        url = target
    return _not_followed(response, url, f"more than CALLBACK_MAX_REDIRECTS ({settings.CALLBACK_MAX_REDIRECTS}) redirects")


def _redirected(
    status: int, method: str, body: bytes | None, headers: dict[str, str], url: str, target: str
) -> tuple[str, bytes | None, dict[str, str]]:
    """The next hop's request, as urllib3 builds it: after a 303 a GET without a body, else the
    same method and body; credentials stay with their host."""
    if status == 303 and method != "HEAD":
        method, body = "GET", None
        headers = {k: v for k, v in headers.items() if k.lower() not in ("content-type", "content-length")}
    if urlsplit(target).netloc.lower() != urlsplit(url).netloc.lower():
        headers = {k: v for k, v in headers.items() if k.lower() not in CREDENTIAL_HEADERS}
    return method, body, headers


def _read(response: urllib3.BaseHTTPResponse, url: str) -> Reply:
    """The body up to the cap; past it the connection is closed, not drained."""
    limit = settings.CALLBACK_MAX_RESPONSE_BYTES
    received = bytearray()
    for chunk in response.stream(_CHUNK):
        received += chunk
        if len(received) > limit:
            _discard(response)
            return Reply(response.status, response.headers, bytes(received[:limit]), url, cut=True)
    response.release_conn()
    return Reply(response.status, response.headers, bytes(received), url)


def _not_followed(response: urllib3.BaseHTTPResponse, url: str, problem: str) -> Reply:
    _discard(response)
    return Reply(response.status, response.headers, b"", url, problem=problem)


def _discard(response: urllib3.BaseHTTPResponse) -> None:
    """Close the connection rather than read what is left of the body, then give it back to its
    pool (which reconnects it when it is next used)."""
    response.close()
    response.release_conn()


__all__ = ["EgressDenied", "Expired", "Reply", "Transport", "fetch"]
