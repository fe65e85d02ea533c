"""GroupCommit: many threads' writes made in shared batches, each caller getting its own result."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from tasks_app.worker.group_commit import GroupCommit


class Recorder:
    """A write that doubles each item, remembers its batches and the thread that wrote each, and
    holds the first batch until released, so the items that arrive meanwhile queue up."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.threads: set[str] = set()
        self.release = threading.Event()

    def __call__(self, items: Sequence[int]) -> list[int | BaseException]:
        self.release.wait(timeout=10)
        self.batches.append(list(items))
        self.threads.add(threading.current_thread().name)
        return [ValueError(f"bad {i}") if i < 0 else i * 2 for i in items]


def run_together(commit: GroupCommit[int, int], items: list[int], writer: ThreadPoolExecutor | None, recorder: Recorder) -> list[object]:
    outcomes: list[object] = [None] * len(items)

    def call(index: int) -> None:
        try:
            outcomes[index] = commit(items[index], on=writer)
        except ValueError as error:
            outcomes[index] = str(error)

    with ThreadPoolExecutor(len(items), thread_name_prefix="caller") as callers:
        futures = [callers.submit(call, index) for index in range(len(items))]
        threading.Timer(0.2, recorder.release.set).start()
        for future in futures:
            future.result(timeout=10)
    return outcomes


@pytest.mark.parametrize("hand_off", [False, True])
def test_items_arriving_together_share_batches_and_get_their_own_results(hand_off: bool) -> None:
    recorder = Recorder()
    writer = ThreadPoolExecutor(1, thread_name_prefix="database") if hand_off else None
    outcomes = run_together(GroupCommit(recorder), list(range(12)), writer, recorder)
    assert outcomes == [i * 2 for i in range(12)]
    assert sorted(i for batch in recorder.batches for i in batch) == list(range(12))
    assert len(recorder.batches) < 12  # the items that queued behind the first batch went together
    if writer:
        assert recorder.threads == {"database_0"}  # callers never write: one connection for all
        writer.shutdown()


def test_a_bad_item_fails_only_its_own_caller() -> None:
    recorder = Recorder()
    recorder.release.set()
    outcomes = run_together(GroupCommit(recorder), [1, -1, 2], None, recorder)
    assert outcomes == [2, "bad -1", 4]
