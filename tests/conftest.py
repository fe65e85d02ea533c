"""Fixtures on real parts: Redis, a Celery worker, worker and beat processes, an HTTP receiver.

Redis is required under CI (a missing one fails the run) and skips the tests that need it
elsewhere. Each run has its own queue and key prefix (scheduler_project.test_settings) and its
keys are removed around each test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
# The Redis Sentinel set fixtures (sentinel_set, on_sentinel).
pytest_plugins = ["tests.sentinel_set"]


def _redis_or_skip() -> redis.Redis:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required under CI: {error}")
        pytest.skip(f"no Redis at {settings.REDIS_URL}")
    return client


def _flush_run_keys(client: redis.Redis) -> None:
    patterns = [
        f"{settings.REDIS_KEY_PREFIX}*",
        f"{settings.CELERY_TASK_DEFAULT_QUEUE}*",
        f"_kombu.binding.{settings.CELERY_TASK_DEFAULT_QUEUE}*",
    ]
    for pattern in patterns:
        for key in client.scan_iter(pattern, count=1000):
            client.delete(key)


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = _redis_or_skip()
    _flush_run_keys(client)
    yield client
    _flush_run_keys(client)


@contextmanager
def _started_worker() -> Iterator[Any]:
    from celery.contrib.testing.worker import start_worker

    from scheduler_project.celery import app

    with start_worker(
        app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=[settings.CELERY_TASK_DEFAULT_QUEUE]
    ) as worker:
        yield worker


@pytest.fixture
def celery_worker(transactional_db: None, redis_client: redis.Redis) -> Iterator[Any]:
    """A real Celery worker (in a thread, solo pool) on the real Redis queue of this run."""
    with _started_worker() as worker:
        yield worker


@pytest.fixture
def celery_worker_one_callback_thread(transactional_db: None, redis_client: redis.Redis, settings: Any) -> Iterator[Any]:
    """``celery_worker`` started with one callback thread (WORKER_CALLBACK_THREADS): the attempts
    of one message are called one after another."""
    settings.WORKER_CALLBACK_THREADS = 1
    with _started_worker() as worker:
        yield worker


def database_url_for_processes() -> str:
    """The URL of the database the tests use, for the processes they start."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


class Processes:
    """Worker and beat processes on the test database, stopped (or killed) by the test."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        # Set by a test before it starts processes (a Redis server of its own, say).
        self.extra_env: dict[str, str] = {}

    def env(self) -> dict[str, str]:
        return (
            os.environ
            | {
                "DATABASE_URL": database_url_for_processes(),
                "DJANGO_SETTINGS_MODULE": "scheduler_project.test_settings",
                "TEST_RUN_ID": os.environ["TEST_RUN_ID"],
            }
            | self.extra_env
        )

    def exited(self) -> dict[str, int]:
        """The processes that ended by themselves, with their exit codes."""
        return {name: code for name, process in self.running.items() if (code := process.poll()) is not None}

    def start(self, name: str, *arguments: str) -> subprocess.Popen[bytes]:
        log = open(self.tmp_path / f"{name}.log", "wb")  # noqa: SIM115  (closed with the process)
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "scheduler_project", *arguments],
            cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.running[name] = process
        return process

    def worker(self, name: str = "worker", *, pool: str = "prefork", concurrency: int = 1) -> subprocess.Popen[bytes]:
        return self.start(
            name, "worker", "-l", "info", "-P", pool, "-c", str(concurrency), "-n", f"{name}-{os.getpid()}@%h",
            "-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "--without-gossip", "--without-mingle",
        )  # fmt: skip

    def beat(self, name: str = "beat") -> subprocess.Popen[bytes]:
        return self.start(
            name, "beat", "-l", "info", "-S", "tasks_app.scheduler:JobScheduler", "-s", str(self.tmp_path / f"{name}-schedule")
        )

    def kill(self, name: str) -> None:
        process = self.running.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self, name: str) -> int:
        """A warm shutdown: SIGTERM to the process alone (its pool's children are its to stop);
        returns its exit code."""
        process = self.running.pop(name)
        process.send_signal(signal.SIGTERM)
        return process.wait(timeout=30)

    def stop_all(self) -> None:
        for name in list(self.running):
            process = self.running.pop(name)
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text(errors="replace")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    """A failed test that ran processes shows the tail of each one's log."""
    report = yield
    group = getattr(item, "funcargs", {}).get("processes")
    if report.failed and call.when == "call" and isinstance(group, Processes):
        for log in sorted(group.tmp_path.glob("*.log")):
            report.sections.append((f"log of {log.stem}", log.read_text(errors="replace")[-8000:]))
    return report


@pytest.fixture
def processes(transactional_db: None, redis_client: redis.Redis, tmp_path: Path) -> Iterator[Processes]:
    group = Processes(tmp_path)
    yield group
    group.stop_all()


def wait_for(condition: Callable[[], Any], *, timeout: float = 30, every: float = 0.1, message: str = "condition") -> Any:
    """Poll ``condition`` until it is truthy, at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


@pytest.fixture
def receiver() -> Iterator[Any]:
    """A real HTTP server receiving callbacks, one thread per request (slow handlers allowed)."""
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture(scope="session", autouse=True)
def _close_other_sessions_before_teardown(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Worker threads and processes keep database sessions; PostgreSQL will not drop a test
    database that has any, so end them before pytest-django tears it down."""
    yield
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """SQLite leaves a database's -wal and -shm files behind when a process that had it open was
    killed (the tests kill workers on purpose): the run's files go once every process is gone."""
    run_id = os.environ.get("TEST_RUN_ID")
    if run_id:
        for path in settings.VAR_DIR.glob(f"test-{run_id}.sqlite3*"):
            path.unlink(missing_ok=True)
