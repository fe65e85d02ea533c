"""The gRPC server's database work, on a fixed set of threads.

gRPC runs every call, and every open stream, on a thread of its own; Django gives each thread
its own connection. Left there, a server with 32 receive streams holds 60-odd PostgreSQL
connections, and a stream that starts when the database has no connection left to give (its
``max_connections`` is shared with every other client) fails its claims and reports. Here the
calls hand their database work to a few long-lived threads instead, so the server's connection
count is fixed (``GRPC_DATABASE_THREADS`` plus one creator, one claimer and one reporter), whatever the
number of streams. The creator, the claimer and the reporter write what arrives together as one batch (see
group_commit): under load many share one transaction. A batch mixes callers, so each creation
and report carries its caller's tenancy scope, and is checked against it, as on its own."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache
from typing import Any, TypeVar

from django.conf import settings
from django.db import close_old_connections

from tasks_app.models import QueueTask
from tasks_app.services.group_commit import GroupCommit
from tasks_app.services.queue_creation import NewTask, create_queue_tasks
from tasks_app.services.queue_handout import ClaimRequest, Report, claim_queue_tasks, report_queue_tasks

T = TypeVar("T")


class DatabaseThreads(ThreadPoolExecutor):
    """Threads that each keep one connection; before each piece of work they drop a connection
    the database broke (as Django does before each request)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        def checked() -> T:
            close_old_connections()
            return fn(*args, **kwargs)

        return super().submit(checked)


@cache
def _threads(name: str, count: int) -> DatabaseThreads:
    return DatabaseThreads(max_workers=count, thread_name_prefix=f"grpc-{name}")


_claims = GroupCommit(claim_queue_tasks)
_reports = GroupCommit(report_queue_tasks)
_creates = GroupCommit(create_queue_tasks)


def run(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` on one of the server's database threads, in the caller's context
    (its tenancy scope above all); its result or error."""
    context = contextvars.copy_context()
    return _threads("database", settings.GRPC_DATABASE_THREADS).submit(context.run, fn, *args, **kwargs).result()


def create(**fields: Any) -> tuple[QueueTask, bool]:
    """Create a task (``services.create_queue_task``'s arguments), in the creator's next batch."""
    result = _creates(NewTask(**fields), on=_threads("creates", 1))
    if isinstance(result, Exception):
        raise result
    return result


def claim(request: ClaimRequest) -> QueueTask | None:
    """Claim a popped task, in the claimer's next batch."""
    return _claims(request, on=_threads("claims", 1))


def report(report: Report) -> QueueTask:
    """Take a report, in the reporter's next batch; its refusal is raised here."""
    result = _reports(report, on=_threads("reports", 1))
    if isinstance(result, Exception):
        raise result
    return result
