"""The policy as a job, service or route is saved: a refused target is the caller's mistake,
reported on its field (InvalidCallback, so every dialect answers it in its own envelope).

Only what the target names literally is checked here (an address in any form the C library
reads one, or a loopback name): a web request never waits on DNS, and a name can resolve
differently by the time it is called, where connect-time checks see every address it resolves
to (decision 0901)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from tasks_app.egress.policy import is_loopback_name, literal_address, policy
from tasks_app.exceptions import InvalidCallback

# What a loopback name (localhost) reaches.
LOOPBACK_ADDRESSES = [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]


def check_host(host: str, port: int, *, field: str) -> None:
    """Raise InvalidCallback naming ``field`` when the policy refuses ``host:port`` outright."""
    address = literal_address(host)
    candidates = [address] if address is not None else LOOPBACK_ADDRESSES if is_loopback_name(host) else []
    rules = policy()
    for candidate in candidates:
        refusal = rules.refusal(candidate, port)
        if refusal:
            raise InvalidCallback(f"refused by the egress policy: {refusal}", field=field, rule="egress")


def check_url(url: str, *, field: str) -> None:
    """``check_host`` for the host and port an http(s) URL calls."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidCallback(f"has an invalid port: {url!r}", field=field) from None
    check_host(parts.hostname or "", port, field=field)
