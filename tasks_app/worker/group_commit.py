"""Group commit: writes that several threads of one worker need at the same moment are made as
one batch, in one transaction.

Two ways to call it. Plain ``commit(item)``: the calling thread queues its item and takes the
writer's lock; if a writer before it already wrote the item it is done at once, otherwise it
writes everything queued so far, on its own database connection. With one thread (prefork,
solo) every batch is that thread's one item, written with no hand-off. ``commit(item, on=executor)``:
the item is written by ``executor`` (one thread: the worker runtime's database thread), so the many
callback threads of a worker process share one connection instead of opening one each. Either
way, under load the batches grow by themselves (as many items as arrived while the last batch
was written), and each caller waits until its own item is committed, so a task is acknowledged
only after its writes are durable.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


class _Ticket(Generic[Item, Result]):
    __slots__ = ("item", "done", "result", "error")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.done = threading.Event()
        self.result: Result | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[Item, Result]):
    """``write(items)`` returns one result per item, in order; a result that is an exception is
    raised in that item's thread alone. When a whole batch fails, each of its items is written
    again on its own, so one bad item fails only its own task."""

    def __init__(self, write: Callable[[Sequence[Item]], Sequence[Result | BaseException]]) -> None:
        self._write = write
        self._queue: list[_Ticket[Item, Result]] = []
        self._queue_lock = threading.Lock()
        self._writer = threading.Lock()
        self._flush_requested = False

    def __call__(self, item: Item, *, on: Executor | None = None) -> Result:
        ticket: _Ticket[Item, Result] = _Ticket(item)
        with self._queue_lock:
            self._queue.append(ticket)
            hand_off = on is not None and not self._flush_requested
            self._flush_requested |= hand_off
        if on is None:
            self._flush()
        elif hand_off:
            on.submit(self._flush)
        ticket.done.wait()
        if ticket.error is not None:
            raise ticket.error
        return ticket.result  # type: ignore[return-value]

    def _flush(self) -> None:
        """Write what is queued (nothing, when a writer before took it: its items are done)."""
        with self._writer:
            with self._queue_lock:
                batch, self._queue, self._flush_requested = self._queue, [], False
            if batch:
                self._run(batch)

    def _run(self, batch: list[_Ticket[Item, Result]]) -> None:
        try:
            results = self._write([ticket.item for ticket in batch])
        except Exception as error:
            if len(batch) > 1:
                logger.warning("a batch of %d writes failed (%s); writing each on its own", len(batch), error)
                for ticket in batch:
                    self._run([ticket])
                return
            results = [error]
        except BaseException as error:  # the writer's thread is being stopped: its batch fails
            results = [error] * len(batch)
            self._settle(batch, results)
            raise
        self._settle(batch, results)

    @staticmethod
    def _settle(batch: list[_Ticket[Item, Result]], results: Sequence[Result | BaseException]) -> None:
        for ticket, result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                ticket.error = result
            else:
                ticket.result = result
            ticket.done.set()
