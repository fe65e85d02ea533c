"""Per-token request rates (API_THROTTLE_RATE, or an API client's own ``rate``), counted in Redis
so that every web process shares one count. A throttled request gets 429 with Retry-After in its
dialect's envelope (api_app.errors). When Redis cannot be reached the request is let through:
an outage must not turn the whole API into errors.

A rate of N per period is a generic cell rate (GCRA): a burst of N at once, then one more every
period/N. Its state is one number per caller (when the next request would be on schedule),
checked and moved in one Lua script on Redis's clock: atomic across web processes and
machines, and the same cost at 10/min as at 10,000,000/min. (DRF's cache throttle keeps every
request's timestamp of the last period in one pickled list, read and written back by each
request: unsafe between processes and costlier the higher the rate.) Decision 2301."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from tasks_app import redis as platform_redis
from tasks_app.models import ApiClient

logger = logging.getLogger(__name__)

# KEYS[1]: the caller's key. ARGV: the milliseconds between requests on schedule, the burst.
# Returns 0 when the request is allowed (and counted), else the milliseconds until one would be.
_TAKE_CELL = """
local now_parts = redis.call('TIME')
local now = now_parts[1] * 1000 + math.floor(now_parts[2] / 1000)
local interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local due = tonumber(redis.call('GET', KEYS[1]) or now)
local next_due = math.max(due, now) + interval
local early = next_due - now - interval * burst
if early > 0 then return early end
redis.call('SET', KEYS[1], next_due, 'PX', math.max(1, next_due - now))
return 0
"""


class RedisRateThrottle(SimpleRateThrottle):
    """DRF's rate strings ("120/min") and client identification, counted by _TAKE_CELL."""

    _wait_seconds: float | None = None

    def allow_request(self, request: Any, view: Any) -> bool:
        self.key = self.get_cache_key(request, view)
        burst, period = self.parse_rate(self.rate)  # (None, None) when there is no rate
        if self.key is None or burst is None or period is None:
            return True
        interval_ms = max(1, round(1000 * period / max(1, burst)))
        try:
            early_ms = int(platform_redis.run_script(_TAKE_CELL, keys=[self.key], args=[interval_ms, burst]))
        except Exception as error:  # noqa: BLE001  (Redis is out: fail open, say so)
            logger.warning("%s throttle not applied (Redis unavailable): %s", self.scope, error)
            return True
        self._wait_seconds = early_ms / 1000 if early_ms > 0 else None
        return early_ms <= 0

    def wait(self) -> float | None:
        return self._wait_seconds


class TokenRateThrottle(RedisRateThrottle):
    scope = "token"

    def get_rate(self) -> str:
        return settings.API_THROTTLE_RATE

    def allow_request(self, request: Any, view: Any) -> bool:
        own = request.auth.rate if isinstance(request.auth, ApiClient) else ""
        self.rate = own or settings.API_THROTTLE_RATE
        return super().allow_request(request, view)

    def get_cache_key(self, request: Any, view: Any) -> str:
        """Counted per token (the key's digest: a revoked and re-made token starts afresh), per
        session user, else per client address."""
        auth = request.auth
        if isinstance(auth, ApiClient):
            ident = f"client-{auth.key_digest[:32]}"
        elif auth is not None and hasattr(auth, "key"):
            ident = "token-" + hashlib.sha256(auth.key.encode()).hexdigest()[:32]
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"address-{self.get_ident(request)}"
        return platform_redis.key(f"throttle:{self.scope}:{ident}")


class FailedTokenThrottle(RedisRateThrottle):
    """Wrong tokens per client address (API_AUTH_FAILURE_RATE): past it, a wrong token is answered
    429 instead of 401, so keys cannot be guessed at speed. Counted only on failures."""

    scope = "failed-token"

    def get_rate(self) -> str:
        return settings.API_AUTH_FAILURE_RATE

    def get_cache_key(self, request: Any, view: Any) -> str:
        return platform_redis.key(f"throttle:{self.scope}:{self.get_ident(request)}")

    def seconds_locked_out(self, request: Any) -> float | None:
        """Count one failure of ``request``'s address; how long it must wait, or None."""
        allowed = self.allow_request(request, None)  # type: ignore[arg-type]  # no view: it runs during authentication
        return None if allowed else (self.wait() or 1.0)
