"""A worker process's runtime: the threads its attempts run on (callback threads, the start timer,
the database thread), the group commits that batch their writes, and the HTTP connections their
calls go through. One object per process, made and stopped with the worker:

- a worker whose pool runs tasks in its own process (threads, solo, gevent) gets it from the
  ``WorkerRuntime`` bootstep: made as the worker starts, stopped with it once its pool has
  stopped, so no task still running finds it gone;
- a prefork pool's children each start their own as they start (``worker_process_init``) and
  stop it as they exit (``worker_process_shutdown``): threads do not survive a fork and
  connections must not be shared between processes, so the parent makes none.

Code that runs attempts outside a worker (a management command, the tests) gets one from
``current()``, started on first use and kept for the life of the process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any, TypeVar

from celery import bootsteps, signals
from celery.concurrency.prefork import TaskPool as PreforkPool
from django.conf import settings
from django.db import close_old_connections, connection

from tasks_app.egress import Transport
from tasks_app.worker.group_commit import GroupCommit
from tasks_app.worker.start_timer import StartTimer

T = TypeVar("T")
Item = TypeVar("Item")
Result = TypeVar("Result")
# Writes a batch of items, one result per item (see group_commit).
Write = Callable[[Sequence[Item]], Sequence[Result | BaseException]]


class DatabaseThread(ThreadPoolExecutor):
    """One thread that makes a runtime's writes. Before each, it drops a connection the database
    broke, as Celery does for its own pool's threads before each task."""

    def __init__(self) -> None:
        super().__init__(1, thread_name_prefix="database")

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        def checked() -> T:
            close_old_connections()
            return fn(*args, **kwargs)

        return super().submit(checked)


class Runtime:
    """What the attempts of one worker process share: WORKER_CALLBACK_THREADS callback threads,
    a start timer that hands each attempt to them at its due time, one database thread (one
    connection, however many threads call), a group commit per kind of write, and one HTTP
    transport (its connections reused across calls)."""

    def __init__(self) -> None:
        self.callbacks = ThreadPoolExecutor(settings.WORKER_CALLBACK_THREADS, thread_name_prefix="callback")
        self.start_timer = StartTimer(self.callbacks)
        self.database = DatabaseThread()
        self.transport = Transport()
        self._group_commits: dict[Callable[..., Any], GroupCommit[Any, Any]] = {}
        self._group_commits_lock = threading.Lock()
        self._stopped = False

    def commit(self, write: Write[Item, Result], item: Item, *, on: Executor | None = None) -> Result:
        """``write`` applied to ``item`` in one batch with the items other threads commit with
        ``write`` at the same moment, on ``on`` (the database thread) or else the calling
        thread; returns ``item``'s result once its batch is committed (see group_commit)."""
        return self._group_commit(write)(item, on=on)

    def _group_commit(self, write: Write[Item, Result]) -> GroupCommit[Item, Result]:
        found = self._group_commits.get(write)
        if found is None:
            with self._group_commits_lock:
                found = self._group_commits.setdefault(write, GroupCommit(write))
        return found

    def start(self) -> None:
        """Become this process's runtime (``current()``), in place of any other."""
        _install(self)

    def stop(self) -> None:
        """Stop its threads, once the work handed to them is done, and close its connections."""
        _uninstall(self)
        if self._stopped:
            return
        self._stopped = True
        self.start_timer.stop()
        self.callbacks.shutdown()
        self.database.submit(connection.close)  # the database thread's own connection
        self.database.shutdown()
        self.transport.close()


_installed: Runtime | None = None
_installing = threading.Lock()


def current() -> Runtime:
    """This process's runtime: its worker's, or, in a process that is no worker, one started
    now and kept for the life of the process."""
    global _installed
    with _installing:
        if _installed is None:
            _installed = Runtime()
        return _installed


def _install(runtime: Runtime) -> None:
    global _installed
    with _installing:
        replaced, _installed = _installed, runtime
    if replaced is not None and replaced is not runtime:
        replaced.stop()


def _uninstall(runtime: Runtime) -> None:
    global _installed
    with _installing:
        if _installed is runtime:
            _installed = None


def _forget_inherited() -> None:
    """A forked child inherits the parent's runtime object but none of its threads."""
    global _installed, _installing
    _installed, _installing = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_inherited)


class WorkerRuntime(bootsteps.StartStopStep):
    """The runtime of a worker whose tasks run in its own process (not prefork: see below).

    It starts after the pool and stops before it (steps stop in the reverse of their start
    order), so it stops the pool first, on a warm shutdown and a cold one alike: the pool's
    tasks end before the runtime they use does (the interpreter would wait for the pool's
    threads before exiting in any case), and stopping a pool twice is harmless."""

    requires = ("celery.worker.components:Pool",)

    def include_if(self, worker: Any) -> bool:
        return not issubclass(worker.pool_cls, PreforkPool)

    def create(self, worker: Any) -> Runtime:
        self.obj = Runtime()
        return self.obj

    def stop(self, worker: Any) -> None:
        if worker.pool is not None:
            worker.pool.stop()
        super().stop(worker)

    terminate = stop


@signals.worker_process_init.connect
def _start_in_pool_child(**_: Any) -> None:
    Runtime().start()


@signals.worker_process_shutdown.connect
def _stop_in_pool_child(**_: Any) -> None:
    if _installed is not None:
        _installed.stop()
