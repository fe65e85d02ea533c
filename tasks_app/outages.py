"""Riding out an outage of the database or Redis: every long-running process (web, worker, beat
and its claimer, the gRPC server) waits for the part and carries on, as Quartz or Hangfire treat
a blip. Each part's outage is logged once when a process first meets it and once when it ends,
not once per retry, and retries back off to at most RETRY_CAP_SECONDS, so work resumes within
a couple of seconds of the part's return. See docs/decisions/0801."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import kombu.exceptions
import redis
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, connections

logger = logging.getLogger(__name__)
T = TypeVar("T")
# The longest pause between two tries: the bound is work again within 5 s of the return.
RETRY_CAP_SECONDS = 2.0
FIRST_RETRY_SECONDS = 0.25
# What a database that is down, restarting or refusing connections raises (a query's own
# mistakes are other DatabaseErrors: they are not waited out).
DATABASE_ERRORS = (OperationalError, InterfaceError)
# What the broker or the platform's Redis raises while unreachable.
REDIS_ERRORS = (redis.RedisError, kombu.exceptions.OperationalError, ConnectionError)


def without_password(url: str) -> str:
    """``url`` fit for a log line: its password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


class Outage:
    """One part's outage as this process sees it, shared by its threads."""

    def __init__(self, part: str, *, url_setting: str = "") -> None:
        self._part = part
        self._url_setting = url_setting
        self._lock = threading.Lock()
        self._since: float | None = None
        self._failures = 0

    @property
    def part(self) -> str:
        """What the log lines name: the part and where it is (read when logged: settings may change)."""
        url = getattr(settings, self._url_setting, "") if self._url_setting else ""
        return f"{self._part} at {without_password(url)}" if url else self._part

    @property
    def down(self) -> bool:
        return self._since is not None

    def failed(self, error: BaseException) -> float:
        """Note a failure; returns how long to wait before the next try (capped backoff)."""
        with self._lock:
            if self._since is None:
                self._since, self._failures = time.monotonic(), 0
                logger.warning("%s unavailable (%s: %s); retrying until it answers", self.part, type(error).__name__, error)
            self._failures += 1
            return min(RETRY_CAP_SECONDS, FIRST_RETRY_SECONDS * 2 ** (self._failures - 1))

    def recovered(self) -> None:
        if self._since is None:  # the common case: no lock, no log
            return
        with self._lock:
            if self._since is not None:
                logger.warning("%s available again after %.1f s", self.part, time.monotonic() - self._since)
                self._since = None


DATABASE = Outage("the database", url_setting="DATABASE_URL")
REDIS = Outage("Redis", url_setting="REDIS_URL")


def drop_broken_connections() -> None:
    """Close this thread's database connections that failed and no longer answer, so the next
    query opens a fresh one (a terminated backend, a restarted or failed-over server). Costs
    nothing when none failed: Django marks a connection that raised, and only those are
    checked (Django itself checks only between requests, which a worker thread never sees)."""
    for wrapper in connections.all(initialized_only=True):
        if wrapper.connection is not None and wrapper.errors_occurred and not wrapper.in_atomic_block:
            wrapper.close_if_unusable_or_obsolete()


def retry_database(call: Callable[[], T], *, for_seconds: float) -> T:
    """``call()``, tried again while the database is unreachable, on a fresh connection each
    time, for up to ``for_seconds``; then its error is raised. Inside a transaction it is not
    retried (the whole transaction must be)."""
    return _retry(call, for_seconds=for_seconds, redis_too=False)


def until_available(call: Callable[[], T], *, stopping: threading.Event | None = None) -> T | None:
    """``call()``, tried again through outages of the database and of Redis however long they
    last: what a process does at start-up, instead of exiting with a traceback. None when
    ``stopping`` is set first (the process was asked to stop while it waited)."""
    try:
        return _retry(call, for_seconds=float("inf"), redis_too=True, stopping=stopping)
    except _Stopped:
        return None


def wait_for_database() -> None:
    until_available(connection.ensure_connection)


class _Stopped(Exception):
    pass


def _retry(call: Callable[[], T], *, for_seconds: float, redis_too: bool, stopping: threading.Event | None = None) -> T:
    deadline = time.monotonic() + for_seconds
    while True:
        try:
            result = call()
        except DATABASE_ERRORS + REDIS_ERRORS as error:
            is_database = isinstance(error, DATABASE_ERRORS)
            if not (is_database or redis_too):
                raise
            wait = (DATABASE if is_database else REDIS).failed(error)
            if any(c.in_atomic_block for c in connections.all(initialized_only=True)) or time.monotonic() + wait > deadline:
                raise
            drop_broken_connections()
            if stopping is None:
                time.sleep(wait)
            elif stopping.wait(wait):
                raise _Stopped from error
        else:
            DATABASE.recovered()
            if redis_too:
                REDIS.recovered()
            return result


def skipped_during_outage(call: Callable[[], T]) -> T | None:
    """``call()``, or None when the database is down (logged once per outage, not per call):
    for periodic housekeeping, whose next run does the same work."""
    try:
        result = call()
    except DATABASE_ERRORS as error:
        DATABASE.failed(error)
        drop_broken_connections()
        return None
    DATABASE.recovered()
    return result
