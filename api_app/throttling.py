"""Per-token request rates (API_THROTTLE_RATE, or an API client's own ``rate``), counted in Redis
so that every web process shares one count. A throttled request gets 429 with Retry-After in its
dialect's envelope (api_app.errors). When Redis cannot be reached the request is let through:
an outage must not turn the whole API into errors."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

from tasks_app.models import ApiClient

logger = logging.getLogger(__name__)


class TokenRateThrottle(SimpleRateThrottle):
    cache = caches["throttle"]
    scope = "token"

    def get_rate(self) -> str:
        return settings.API_THROTTLE_RATE

    def allow_request(self, request: Any, view: Any) -> bool:
        own = request.auth.rate if isinstance(request.auth, ApiClient) else ""
        self.rate = own or settings.API_THROTTLE_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except Exception as error:  # noqa: BLE001  (the cache is Redis: fail open, say so)
            logger.warning("throttle not applied (cache unavailable): %s", error)
            return True

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
        return self.cache_format % {"scope": self.scope, "ident": ident}


class FailedTokenThrottle(SimpleRateThrottle):
    """Wrong tokens per client address (API_AUTH_FAILURE_RATE): past it, a wrong token is answered
    429 instead of 401, so keys cannot be guessed at speed. Counted only on failures."""

    cache = caches["throttle"]
    scope = "failed-token"

    def get_rate(self) -> str:
        return settings.API_AUTH_FAILURE_RATE

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def seconds_locked_out(self, request: Any) -> float | None:
        """Count one failure of ``request``'s address; how long it must wait, or None."""
        try:
            allowed = self.allow_request(request, None)  # type: ignore[arg-type]  # no view: it runs during authentication
        except Exception as error:  # noqa: BLE001  (fail open, as TokenRateThrottle does)
            logger.warning("failed-token throttle not applied (cache unavailable): %s", error)
            return None
        return None if allowed else (self.wait() or 1.0)
