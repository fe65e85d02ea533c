"""The worker's and beat's container health check reads the heartbeats those processes write,
its own host's only."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from tasks_app import heartbeats
from tasks_app import redis as platform_redis
from tasks_app.management.commands import check_heartbeat


def test_a_fresh_heartbeat_of_this_host_passes(redis_client, capsys) -> None:
    heartbeats.beat(heartbeats.Process("worker"))
    call_command("check_heartbeat", "worker")
    assert "worker ok" in capsys.readouterr().out


def test_no_heartbeat_fails(redis_client) -> None:
    with pytest.raises(CommandError, match="no beat heartbeat"):
        call_command("check_heartbeat", "beat")


def test_another_hosts_heartbeat_does_not_vouch_for_this_one(redis_client, monkeypatch) -> None:
    heartbeats.beat(heartbeats.Process("beat"))
    monkeypatch.setattr(check_heartbeat.socket, "gethostname", lambda: "another-container")
    with pytest.raises(CommandError, match="no beat heartbeat from another-container"):
        call_command("check_heartbeat", "beat")


def test_an_unreachable_redis_fails_with_its_reason(settings) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    platform_redis.client.cache_clear()
    try:
        with pytest.raises(CommandError, match="cannot read the worker heartbeat"):
            call_command("check_heartbeat", "worker")
    finally:
        platform_redis.client.cache_clear()
