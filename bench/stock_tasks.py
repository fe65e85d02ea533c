"""The task stock beat fires in the benchmarks: it records how late it started."""

from __future__ import annotations

import os
import time

import redis
from celery import shared_task

_client = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))


@shared_task(name="bench.record_start")
def record_start(marker: str, due: float | None = None) -> None:
    started = time.time()
    _client.rpush(f"{os.environ.get('REDIS_KEY_PREFIX', '')}bench:starts", f"{marker}|{due or ''}|{started}")
