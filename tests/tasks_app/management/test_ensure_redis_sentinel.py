"""`make run`'s Redis check with a Sentinel REDIS_URL: it asks the set for its master and never
starts a Redis of its own."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from scheduler_project.redis_url import parse_sentinel_url
from tasks_app import redis as platform_redis
from tests.sentinel_set import free_port


def test_a_sentinel_set_whose_master_answers_passes(on_sentinel, capsys) -> None:
    call_command("ensure_redis")
    assert "answers as master 'jobs-master'" in capsys.readouterr().out


def test_a_sentinel_set_that_does_not_answer_fails_without_starting_anything(settings) -> None:
    settings.REDIS_URL = f"sentinel://127.0.0.1:{free_port()}/0?master=nowhere"
    settings.REDIS_SENTINEL = parse_sentinel_url(settings.REDIS_URL)
    platform_redis.client.cache_clear()
    try:
        with pytest.raises(CommandError, match="gives no master that answers"):
            call_command("ensure_redis")
    finally:
        platform_redis.client.cache_clear()
