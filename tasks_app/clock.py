"""One clock for every process: the database's. Beats on several hosts, the API and workers
agree on what is due even when a host's clock is off. The host clock's offset from the
database's is measured every few seconds (a few round trips), so reading the clock costs nothing
on the hot path. SQLite lives on one host: its clock is the host's.

The measurement runs on a connection of the clock's own, never on the caller's: ``now()`` is
called inside callers' transactions, which a query of ours must neither join nor, when the
database fails it, break."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from datetime import UTC, datetime, timedelta

from django.db import DatabaseError, InterfaceError, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

REMEASURE_EVERY_SECONDS = 10.0
# Round trips per measurement: the quickest one's reading is kept.
SAMPLES = 5
_offset = timedelta(0)
_measured_at: float | None = None
# The clock's own connection (a copy of the default one's settings), opened on first use and
# shared by the process's threads one measurement at a time.
_own_connection: BaseDatabaseWrapper | None = None
_measuring = threading.Lock()


def _measure_offset() -> timedelta:
    """The database clock minus the host's, read as NTP does: the database's reading is taken
    to fall midway through the round trip, so the error is at most half of it. On a busy host a
    round trip can take tens of milliseconds, one way more than the other: of a few readings,
    the quickest round trip's is kept."""
    readings = []
    with _connection().cursor() as cursor:
        for _ in range(SAMPLES):
            before = timezone.now()
            # clock_timestamp(), not now(): the latter is frozen at the start of a transaction.
            cursor.execute("SELECT clock_timestamp()")
            database_time: datetime = cursor.fetchone()[0]
            after = timezone.now()
            readings.append((after - before, database_time.astimezone(UTC) - (before + (after - before) / 2)))
    return min(readings)[1]


def _connection() -> BaseDatabaseWrapper:
    global _own_connection
    if _own_connection is None:
        _own_connection = connection.copy()
        _own_connection.inc_thread_sharing()  # any thread may measure (under _measuring)
    return _own_connection


def _remeasure() -> None:
    """Measure again unless another thread is doing so (its reading will do), or until the first
    reading when there is none. With the database down, the last offset stands (clocks drift by
    milliseconds a day); the caller's own query meets the outage and handles it."""
    global _offset, _measured_at
    if not _measuring.acquire(blocking=_measured_at is None):
        return
    try:
        if _is_stale():  # not measured by the thread this one waited for
            _offset = _measure_offset()
    except (DatabaseError, InterfaceError):
        _forget_connection()  # broken: the next measurement opens a new one
    finally:
        _measured_at = time.monotonic()
        _measuring.release()


def _is_stale() -> bool:
    return _measured_at is None or time.monotonic() - _measured_at > REMEASURE_EVERY_SECONDS


def _forget_connection() -> None:
    global _own_connection
    if _own_connection is not None:
        with contextlib.suppress(DatabaseError, InterfaceError):
            _own_connection.close()
    _own_connection = None


def _after_fork_in_child() -> None:
    """A forked child must not talk over its parent's socket (it opens its own when it next
    measures), nor wait on a lock a parent's thread held when it forked."""
    global _own_connection, _measuring
    _own_connection, _measuring = None, threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def now() -> datetime:
    if connection.vendor != "postgresql":
        return timezone.now()
    if _is_stale():
        _remeasure()
    return timezone.now() + _offset


def cached_now() -> datetime:
    """The database's time as last measured: no round trip, so a thread without a database
    connection of its own (a callback thread) reads it too."""
    return timezone.now() + _offset


def seconds_until(moment: datetime) -> float:
    """Seconds from now until ``moment`` by the database's clock, as last measured: no round
    trip, so any thread may ask (threads without a database connection of their own too)."""
    return (moment - (timezone.now() + _offset)).total_seconds()
