"""Header values that are credentials: stored encrypted, read back as "***", sent in clear.

A header is secret when its name is Authorization, Proxy-Authorization or Cookie, or contains
token, secret, password or key (any case). Its value is stored as ``fernet:<token>`` (Fernet from
``cryptography``: AES-128-CBC with HMAC-SHA256) under CALLBACK_SECRETS_KEY, or a key derived from
SECRET_KEY when that is unset. Values stored before this existed are read as they are and sealed
the next time their job or service is saved (read-time tolerance, no data migration). Every read
back (API, dialects, admin, recorded requests) shows ``MASK``; a change that sends ``MASK`` back
keeps the stored value. Decision 1004."""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from tasks_app.exceptions import InvalidCallback

MASK = "***"
SEALED = "fernet:"
SECRET_NAMES = frozenset({"authorization", "proxy-authorization", "cookie"})
SECRET_PARTS = ("token", "secret", "password", "key")


def is_secret(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_NAMES or any(part in lowered for part in SECRET_PARTS)


@cache
def _fernet(configured: str, secret_key: str) -> Fernet:
    if configured:
        return Fernet(configured.encode())
    derived = hashlib.sha256(b"job-platform callback secrets\0" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def fernet() -> Fernet:
    return _fernet(settings.CALLBACK_SECRETS_KEY, settings.SECRET_KEY)


def seal(headers: dict[str, str]) -> dict[str, str]:
    """Secret values encrypted (those already sealed, and MASK, which stands for the stored value
    until ``keep_masked`` puts it back, are left as they are)."""
    return {name: _sealed(value) if is_secret(name) and value != MASK else value for name, value in headers.items()}


def _sealed(value: str) -> str:
    return value if value.startswith(SEALED) else SEALED + fernet().encrypt(value.encode()).decode()


def _opened(name: str, value: str) -> str:
    if not value.startswith(SEALED):
        return value
    try:
        return fernet().decrypt(value.removeprefix(SEALED).encode()).decode()
    except InvalidToken:
        raise InvalidCallback(
            f"header {name!r} cannot be decrypted (CALLBACK_SECRETS_KEY or SECRET_KEY changed)", field="headers"
        ) from None


def unseal(headers: dict[str, str]) -> dict[str, str]:
    """The values to send: secret ones decrypted."""
    return {name: _opened(name, value) for name, value in headers.items()}


def masked(headers: Any) -> Any:
    """Headers as they are read back: every secret value is MASK."""
    if not isinstance(headers, dict):
        return headers
    return {name: MASK if is_secret(str(name)) else value for name, value in headers.items()}


def keep_masked(given: Any, stored: Any) -> Any:
    """A change's headers, where a value sent back as MASK keeps the stored one (same name, any case)."""
    if not isinstance(given, dict) or not isinstance(stored, dict):
        return given
    by_name = {str(name).lower(): value for name, value in stored.items()}
    return {name: by_name.get(str(name).lower(), value) if value == MASK else value for name, value in given.items()}


def masked_callback(callback: Any) -> Any:
    """A stored callback as it is read back."""
    if not isinstance(callback, dict) or "headers" not in callback:
        return callback
    return {**callback, "headers": masked(callback["headers"])}


def keep_masked_callback(given: Any, stored: Any) -> Any:
    if not isinstance(given, dict) or not isinstance(stored, dict) or "headers" not in given:
        return given
    return {**given, "headers": keep_masked(given["headers"], stored.get("headers"))}


def masked_request(request: Any) -> Any:
    """A recorded request (``{"method", "url", "headers", "body"}``) as it is read back."""
    if not isinstance(request, dict) or "headers" not in request:
        return request
    return {**request, "headers": masked(request["headers"])}
