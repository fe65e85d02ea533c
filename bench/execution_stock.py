"""Stock Celery, as a team would write it, for the execution benchmark to compare against.

A plain Celery app with Celery's defaults (no acks_late, prefetch 4, no started state, results
not extended) and one task that does ``requests.post`` (a new connection per call, as the
one-liner does). ``BENCH_STOCK_RESULTS`` picks the variant:

- ``off``: no result backend.
- ``default``: django-celery-results with its default settings; Celery's Django fixup closes
  the database connection after every task.
- ``tuned``: the same with ``CELERY_DB_REUSE_MAX`` set, so the connection is kept.
"""

from __future__ import annotations

import os

import requests
from celery import Celery

MODE = os.environ.get("BENCH_STOCK_RESULTS", "off")
if MODE == "off":
    # Without Django settings the Django fixup stays out: nothing touches a database.
    os.environ.pop("DJANGO_SETTINGS_MODULE", None)

app = Celery("stock")
app.conf.broker_url = os.environ["REDIS_URL"]
app.conf.task_default_queue = os.environ["CELERY_QUEUE"]
app.conf.broker_connection_retry_on_startup = True
if MODE != "off":
    app.conf.result_backend = "django-db"
if MODE == "tuned":
    app.conf.CELERY_DB_REUSE_MAX = 1_000_000


@app.task(name="bench.stock_post", ignore_result=MODE == "off")
def stock_post(url: str, marker: str) -> str:
    response = requests.post(url, data=b'{"n": 1}', headers={"X-Execution-Id": marker, "Content-Type": "application/json"}, timeout=10)
    return f"{response.status_code}"
