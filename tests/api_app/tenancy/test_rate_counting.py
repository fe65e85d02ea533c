"""The per-token rate counted in Redis as a cell rate: a burst of N, then one per period/N, the
same count for every web process at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import RequestFactory

from api_app.throttling import FailedTokenThrottle

pytestmark = pytest.mark.django_db


def _failed_token_throttle(rate: str) -> FailedTokenThrottle:
    throttle = FailedTokenThrottle()
    throttle.rate = rate
    return throttle


def test_requests_at_once_from_many_threads_are_allowed_exactly_the_burst(redis_client) -> None:
    """Each thread is its own throttle, as each web process is: only Redis holds the count."""
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3")
    with ThreadPoolExecutor(max_workers=16) as pool:
        allowed = list(pool.map(lambda _: _failed_token_throttle("10/min").allow_request(request, None), range(40)))
    assert allowed.count(True) == 10


def test_past_the_burst_the_wait_is_one_requests_share_of_the_period(redis_client) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.4")
    throttle = _failed_token_throttle("3/min")
    assert [throttle.allow_request(request, None) for _ in range(4)] == [True, True, True, False]
    assert 19 <= throttle.wait() <= 20  # type: ignore[operator]
    assert _failed_token_throttle("3/min").allow_request(RequestFactory().get("/", REMOTE_ADDR="10.1.2.5"), None)


def test_when_redis_cannot_be_reached_requests_are_let_through(settings) -> None:
    from tasks_app import redis as platform_redis

    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    platform_redis.client.cache_clear()
    try:
        throttle = _failed_token_throttle("1/min")
        request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.6")
        assert all(throttle.allow_request(request, None) for _ in range(3))
    finally:
        platform_redis.client.cache_clear()
