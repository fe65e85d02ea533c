"""REDIS_URL naming a Redis Sentinel set, read once for both users of Redis: kombu's sentinel
transport (the broker) and redis-py's Sentinel (the platform's own keys and channels).

The form is kombu's own list of sentinels, one ``sentinel://`` URL per sentinel joined by ``;``,
plus the master's name as a query parameter on any of them::

    sentinel://:PASSWORD@sentinel-1:26379/0;sentinel://sentinel-2:26379/0?master=mymaster

The password and database belong to the master (and its replicas), taken from the first part
that gives them; ``sentinel_password`` (query) is for sentinels that require one. Kept free of
Django imports: the settings module reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

SCHEME = "sentinel"
DEFAULT_SENTINEL_PORT = 26379


@dataclass(frozen=True)
class SentinelSet:
    sentinels: tuple[tuple[str, int], ...]
    master_name: str
    db: int = 0
    password: str | None = None
    sentinel_password: str | None = None

    def broker_url(self) -> str:
        """kombu's form: every sentinel a URL of its own, carrying the master's password and db."""
        auth = f":{self.password}@" if self.password else ""
        return ";".join(f"{SCHEME}://{auth}{_netloc(host, port)}/{self.db}" for host, port in self.sentinels)

    def broker_transport_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"master_name": self.master_name}
        if self.sentinel_password:
            options["sentinel_kwargs"] = {"password": self.sentinel_password}
        return options


def is_sentinel_url(url: str) -> bool:
    return url.strip().lower().startswith(f"{SCHEME}://")


def parse_sentinel_url(url: str) -> SentinelSet:
    """The sentinel set named by ``url``; ValueError (naming what is wrong) for a malformed one."""
    parts = [urlsplit(part.strip()) for part in url.split(";") if part.strip()]
    if not parts or any(part.scheme.lower() != SCHEME for part in parts):
        raise ValueError(f"REDIS_URL: every part of a sentinel URL starts with {SCHEME}:// (got {_redacted(url)!r})")
    query = {name: values[-1] for part in parts for name, values in parse_qs(part.query).items()}
    master_name = query.get("master") or query.get("master_name")
    if not master_name:
        raise ValueError(f"REDIS_URL: a sentinel URL names its master, e.g. ?master=mymaster (got {_redacted(url)!r})")
    return SentinelSet(
        sentinels=tuple(_address(part, url) for part in parts),
        master_name=master_name,
        db=_database(parts, url),
        password=next((unquote(part.password) for part in parts if part.password), None),
        sentinel_password=query.get("sentinel_password"),
    )


def _address(part: Any, url: str) -> tuple[str, int]:
    try:
        port = part.port or DEFAULT_SENTINEL_PORT
    except ValueError as error:
        raise ValueError(f"REDIS_URL: a sentinel's port is not a number (got {_redacted(url)!r})") from error
    if not part.hostname:
        raise ValueError(f"REDIS_URL: a sentinel without a host (got {_redacted(url)!r})")
    return part.hostname, port


def _database(parts: list[Any], url: str) -> int:
    paths = [part.path.strip("/") for part in parts if part.path.strip("/")]
    try:
        return int(paths[0]) if paths else 0
    except ValueError as error:
        raise ValueError(f"REDIS_URL: the database is a number, e.g. /0 (got {_redacted(url)!r})") from error


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _redacted(url: str) -> str:
    """The URL without passwords, for error messages that end up in logs."""
    return ";".join(_redact_part(part) for part in url.split(";"))


def _redact_part(part: str) -> str:
    split = urlsplit(part.strip())
    if not split.password:
        return part.strip()
    return part.strip().replace(f":{split.password}@", ":***@", 1)
