"""One clock for every process: the database's. Beats on several hosts, the API and workers
agree on what is due even when a host's clock is off. The host clock's offset from the
database's is measured every few seconds (a few round trips), so reading the clock costs nothing
on the hot path. SQLite lives on one host: its clock is the host's."""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime, timedelta

from django.db import DatabaseError, connection
from django.utils import timezone

REMEASURE_EVERY_SECONDS = 10.0
# Round trips per measurement: the quickest one's reading is kept.
SAMPLES = 5
_offset = timedelta(0)
_measured_at: float | None = None


def _measure_offset() -> timedelta:
    """The database clock minus the host's, read as NTP does: the database's reading is taken
    to fall midway through the round trip, so the error is at most half of it. On a busy host a
    round trip can take tens of milliseconds, one way more than the other: of a few readings,
    the quickest round trip's is kept."""
    readings = []
    with connection.cursor() as cursor:
        for _ in range(SAMPLES):
            before = timezone.now()
            # clock_timestamp(), not now(): the latter is frozen at the start of a transaction.
            cursor.execute("SELECT clock_timestamp()")
            database_time: datetime = cursor.fetchone()[0]
            after = timezone.now()
            readings.append((after - before, database_time.astimezone(UTC) - (before + (after - before) / 2)))
    return min(readings)[1]


def now() -> datetime:
    global _offset, _measured_at
    if connection.vendor != "postgresql":
        return timezone.now()
    if _measured_at is None or time.monotonic() - _measured_at > REMEASURE_EVERY_SECONDS:
        # With the database down, the last offset stands (clocks drift by milliseconds a day);
        # the caller's own query meets the outage and handles it.
        with contextlib.suppress(DatabaseError):
            _offset = _measure_offset()
        _measured_at = time.monotonic()
    return timezone.now() + _offset


def cached_now() -> datetime:
    """The database's time as last measured: no round trip, so a thread without a database
    connection of its own (a callback thread) reads it too."""
    return timezone.now() + _offset


def seconds_until(moment: datetime) -> float:
    """Seconds from now until ``moment`` by the database's clock, as last measured: no round
    trip, so any thread may ask (threads without a database connection of their own too)."""
    return (moment - (timezone.now() + _offset)).total_seconds()
