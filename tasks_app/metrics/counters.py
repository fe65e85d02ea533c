"""Counters and histograms in Redis hashes. Each batch of outcomes adds to them in one pipeline,
after its transaction commits; a Redis error loses those increments (logged), never an outcome.
Histogram buckets are stored non-cumulative (per bucket) and summed when read."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import redis

from tasks_app import redis as platform_redis

logger = logging.getLogger(__name__)

EXECUTIONS = "metrics:executions"
LATENESS = "metrics:lateness"
DURATION = "metrics:duration"
# Seconds; Prometheus' default buckets plus the minute a slow callback or a backlog can take.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
SEP = "\x1f"  # between label values in a hash field (never in a namespace a dialect accepts)


@dataclass(frozen=True)
class Sample:
    """One ended attempt: its outcome (succeeded | failed | skipped) and, when it called,
    how late the call began and how long it took."""

    outcome: str
    dialect: str
    namespace: str
    kind: str = ""
    lateness_seconds: float | None = None
    duration_seconds: float | None = None


def bucket_of(seconds: float) -> str:
    return next((repr(bound) for bound in BUCKETS if seconds <= bound), "+Inf")


def _tally(samples: Sequence[Sample]) -> tuple[Counter[tuple[str, str]], dict[tuple[str, str], float]]:
    """The batch summed per hash field before anything is sent: a Redis command per distinct
    field (a handful per batch), not several per sample."""
    counts: Counter[tuple[str, str]] = Counter()
    sums: dict[tuple[str, str], float] = defaultdict(float)
    for sample in samples:
        counts[(EXECUTIONS, SEP.join((sample.outcome, sample.dialect, sample.namespace)))] += 1
        for key, label, seconds in ((LATENESS, "", sample.lateness_seconds), (DURATION, sample.kind, sample.duration_seconds)):
            if seconds is not None:
                counts[(key, f"{label}{SEP}{bucket_of(max(seconds, 0.0))}")] += 1
                sums[(key, f"{label}{SEP}sum")] += max(seconds, 0.0)
    return counts, sums


def count(samples: Sequence[Sample]) -> None:
    if not samples:
        return
    counts, sums = _tally(samples)
    try:
        with platform_redis.client().pipeline(transaction=False) as pipe:
            for (key, field), number in counts.items():
                pipe.hincrby(platform_redis.key(key), field, number)
            for (key, field), total in sums.items():
                pipe.hincrbyfloat(platform_redis.key(key), field, total)
            pipe.execute()
    except redis.RedisError as error:
        logger.warning("could not count %d outcome(s) in the metrics: %s", len(samples), error)


def read(name: str) -> dict[str, str]:
    raw: dict[bytes, bytes] = platform_redis.client().hgetall(platform_redis.key(name))  # type: ignore[assignment]
    return {field.decode(): value.decode() for field, value in raw.items()}
