"""The gRPC server's database work, on a fixed set of threads.

gRPC runs every call, and every open stream, on a thread of its own; Django gives each thread
its own connection. Left there, a server with 32 receive streams holds 60-odd PostgreSQL
connections, and a stream that starts when the database has no connection left to give (its
``max_connections`` is shared with every other client) fails its claims and reports. Here the
calls hand their database work to a few long-lived threads instead, so the server's connection
count is fixed (``GRPC_DATABASE_THREADS`` plus one creator, one claimer and one reporter), whatever the
number of streams. The creator, the claimer and the reporter write what arrives together as one batch (see
group_commit): under load many share one transaction. A batch mixes callers, so each creation
and report carries its caller's tenancy scope, and is checked against it, as on its own.

The threads and batches belong to one server (``ServerDatabase``): made when it starts, shut
down when it stops, so a stopped server leaves no threads or connections behind."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from django.db import close_old_connections, connections

from tasks_app.models import QueueTask
from tasks_app.services.queue_creation import NewTask, create_queue_tasks
from tasks_app.services.queue_handout import ClaimRequest, Report, claim_queue_tasks, report_queue_tasks
from tasks_app.worker.group_commit import GroupCommit

T = TypeVar("T")


class DatabaseThreads(ThreadPoolExecutor):
    """Threads that each keep one connection; before each piece of work they drop a connection
    the database broke (as Django does before each request)."""

    def __init__(self, name: str, *, count: int) -> None:
        super().__init__(max_workers=count, thread_name_prefix=f"grpc-{name}")
        self.count = count

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        def checked() -> T:
            close_old_connections()
            return fn(*args, **kwargs)

        return super().submit(checked)

    def stop(self) -> None:
        """Finish the work handed over, close each thread's connection (a connection is closed
        only by its own thread: each closing waits for the others, so every thread takes one),
        then end the threads."""
        everyone = threading.Barrier(self.count)

        def close() -> None:
            connections.close_all()
            everyone.wait()

        for closing in [self.submit(close) for _ in range(self.count)]:
            closing.result()
        self.shutdown(wait=True)


class ServerDatabase:
    """One server's database threads: ``threads`` for the calls' lookups, and one each for the
    batches of creations, claims and reports."""

    def __init__(self, *, threads: int) -> None:
        self._calls = DatabaseThreads("database", count=threads)
        self._creator = DatabaseThreads("creates", count=1)
        self._claimer = DatabaseThreads("claims", count=1)
        self._reporter = DatabaseThreads("reports", count=1)
        self._creates = GroupCommit(create_queue_tasks)
        self._claims = GroupCommit(claim_queue_tasks)
        self._reports = GroupCommit(report_queue_tasks)

    def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` on one of the database threads, in the caller's context (its
        tenancy scope above all); its result or error."""
        context = contextvars.copy_context()
        return self._calls.submit(context.run, fn, *args, **kwargs).result()

    def create(self, **fields: Any) -> tuple[QueueTask, bool]:
        """Create a task (``services.create_queue_task``'s arguments), in the creator's next batch."""
        result = self._creates(NewTask(**fields), on=self._creator)
        if isinstance(result, Exception):
            raise result
        return result

    def claim(self, request: ClaimRequest) -> QueueTask | None:
        """Claim a popped task, in the claimer's next batch."""
        return self._claims(request, on=self._claimer)

    def report(self, report: Report) -> QueueTask:
        """Take a report, in the reporter's next batch; its refusal is raised here."""
        result = self._reports(report, on=self._reporter)
        if isinstance(result, Exception):
            raise result
        return result

    def stop(self) -> None:
        for threads in (self._calls, self._creator, self._claimer, self._reporter):
            threads.stop()
