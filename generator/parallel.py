"""Work split over the machine's cores, when there is enough of it to pay.

Workers are forked, so they share the parent's data instead of unpickling it;
only each slice's result travels back. Results come back in order, so the
output never depends on which worker finished first.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

MAX_WORKERS = 8

# A forked worker finds its job here, as the parent left it.
_JOB: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def workers_for(items: int, minimum: int) -> int:
    """How many processes to use for `items` pieces of work (1: stay in this one).

    Forking is only safe while this process runs a single thread (`caseload
    serve` runs a watcher thread: there everything stays in one process).
    """
    if items < minimum or sys.platform != "linux" or threading.active_count() > 1:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def map_slices(work: Callable[[Sequence[Item]], Result], items: Sequence[Item], *, minimum: int,
               on_result: Callable[[Result], None] | None = None) -> None:
    """`work(slice)` for consecutive slices of `items`; each result is handed to
    `on_result` in the order of the slices, as soon as it and those before it are
    back, so this process works on them while the workers go on (none is kept)."""
    global _JOB
    workers = workers_for(len(items), minimum)
    if workers == 1:
        alone = work(items)
        if on_result:
            on_result(alone)
        return
    import multiprocessing  # here: a small workspace never needs it, and it is slow to import

    _JOB = (work, items)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            # Many small slices: this process starts on the first result soon, and
            # the last one leaves little for it to do after the workers have finished.
            for result in pool.imap(_run_slice, _slices(len(items), workers * 32)):
                if on_result:
                    on_result(result)
    finally:
        _JOB = None


def _run_slice(bounds: tuple[int, int]) -> Any:
    assert _JOB is not None
    work, items = _JOB
    return work(items[bounds[0]:bounds[1]])


def _slices(total: int, count: int) -> Iterator[tuple[int, int]]:
    size = max(1, -(-total // count))
    for start in range(0, total, size):
        yield start, min(start + size, total)
