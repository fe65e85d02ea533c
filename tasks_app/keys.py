"""API keys: made from 256 random bits, stored only as their SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "jpk_"


def new_key() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
