"""What keeps a worker process working through outages, and says whether it is.

- Its heartbeat (tasks_app.heartbeats), from a thread of its own that also checks the database.
- Before each task, the task thread's connections that failed are replaced: Django does this
  between web requests, and a worker thread never sees a request, so a terminated backend
  would fail every later task on that thread.
- Its broker connection is re-established forever, at most RETRY_CAP_SECONDS apart, logged
  once per outage (Celery's own loop gives up after 100 tries and backs off to 30 s).
"""

from __future__ import annotations

from typing import Any

from celery import bootsteps, signals
from celery.worker.consumer import Consumer as CeleryConsumer
from celery.worker.state import maybe_shutdown

from tasks_app import heartbeats
from tasks_app.outages import FIRST_RETRY_SECONDS, RETRY_CAP_SECONDS, Outage, drop_broken_connections


def pool_name(worker: Any) -> str:
    """``threads``, ``prefork``, ``solo``…: the last part of the pool class's module."""
    module = getattr(worker.pool_cls, "__module__", "") or ""
    return {"thread": "threads"}.get(module.rsplit(".", 1)[-1], module.rsplit(".", 1)[-1])


class WorkerHeartbeat(bootsteps.StartStopStep):
    """This worker process's heartbeat thread: started with the worker, stopped (or terminated)
    with it, as a StartStopStep does with its ``obj``."""

    def create(self, worker: Any) -> heartbeats.HeartbeatThread:
        self.obj = heartbeats.HeartbeatThread(heartbeats.Process("worker", pool=pool_name(worker), concurrency=worker.concurrency or 0))
        return self.obj


@signals.task_prerun.connect
def _replace_broken_connections(**_: Any) -> None:
    drop_broken_connections()


class Consumer(CeleryConsumer):
    """Celery's consumer (CELERY_WORKER_CONSUMER), connecting to the broker as said above."""

    def ensure_connected(self, conn: Any) -> Any:
        outage = Outage(f"the broker at {conn.as_uri()}")  # kombu's URI leaves the password out
        conn = conn.ensure_connection(
            lambda error, interval: outage.failed(error),
            None,  # try forever
            interval_start=FIRST_RETRY_SECONDS, interval_step=FIRST_RETRY_SECONDS, interval_max=RETRY_CAP_SECONDS,
            callback=maybe_shutdown,
        )  # fmt: skip
        outage.recovered()
        self.first_connection_attempt = False
        self.broker_connection_retry_attempt = 0
        return conn
