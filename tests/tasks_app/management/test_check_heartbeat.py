"""The worker's and beat's container health check reads the heartbeat those processes write."""

from __future__ import annotations

import time

import pytest
from django.core.management import CommandError, call_command

from tasks_app import redis as platform_redis


def test_a_fresh_heartbeat_passes(redis_client, capsys) -> None:
    platform_redis.beat_heartbeat("worker")
    call_command("check_heartbeat", "worker")
    assert "worker ok" in capsys.readouterr().out


def test_no_heartbeat_fails(redis_client) -> None:
    with pytest.raises(CommandError, match="no beat heartbeat"):
        call_command("check_heartbeat", "beat")


def test_a_stale_heartbeat_fails(redis_client, settings) -> None:
    redis_client.set(platform_redis.key("heartbeat:beat"), repr(time.time() - settings.HEARTBEAT_TTL_SECONDS - 5))
    with pytest.raises(CommandError, match="old"):
        call_command("check_heartbeat", "beat")


def test_an_unreachable_redis_fails_with_its_reason(settings) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    platform_redis.client.cache_clear()
    try:
        with pytest.raises(CommandError, match="cannot read the worker heartbeat"):
            call_command("check_heartbeat", "worker")
    finally:
        platform_redis.client.cache_clear()
