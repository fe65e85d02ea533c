"""Standard Webhooks signatures on every HTTP call made for a job (https://www.standardwebhooks.com):

    webhook-id         the occurrence's key: the same on every attempt of one occurrence (retries,
                       re-sends after a crash), another for the next one: the receiver's idempotency key
    webhook-timestamp  Unix seconds when the call is made
    webhook-signature  "v1,<base64 HMAC-SHA256 of '<id>.<timestamp>.<body>'>" per valid secret,
                       space-separated (two during a rotation's grace period)

The secret's key is the base64 after ``whsec_``. Workers keep each namespace's secrets for
SIGNING_SECRET_CACHE_SECONDS, read on the claiming thread (``warm``) so callback threads, which
hold no database connection, find them ready. Decision 1003."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time

from django.conf import settings
from django.utils import timezone

_cache: dict[str, tuple[float, list[str]]] = {}
_lock = threading.Lock()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def secrets_of(namespace: str, *, any_age: bool = False) -> list[str]:
    """The namespace's valid secrets, from this process's cache when fresh enough (or, with
    ``any_age``, whenever cached: a call uses what its claim read, never opening a connection)."""
    now = time.monotonic()
    with _lock:
        cached = _cache.get(namespace)
    if cached is not None and (any_age or now - cached[0] < settings.SIGNING_SECRET_CACHE_SECONDS):
        return cached[1]
    from tasks_app.services import signing as signing_service  # the services import the callbacks, which import this

    row = signing_service.signing_secret(namespace=namespace)
    found = signing_service.valid_secrets(row, timezone.now())
    with _lock:
        _cache[namespace] = (now, found)
    return found


def warm(namespace: str) -> None:
    if namespace:
        secrets_of(namespace)


def webhook_headers(*, namespace: str, message_id: str, body: bytes | None) -> dict[str, str]:
    """The three headers for one call; none when the call belongs to no namespace."""
    if not namespace:
        return {}
    timestamp = int(time.time())
    signatures = [signature(secret, message_id, timestamp, body or b"") for secret in secrets_of(namespace, any_age=True)]
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp), "webhook-signature": " ".join(signatures)}
