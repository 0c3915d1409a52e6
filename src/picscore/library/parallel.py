"""Run a function over many items in worker processes, results in completion order.

One worker per core by default; `jobs=1` runs in this process (no start-up cost, easy to
debug). Workers ignore Ctrl-C so the parent decides what to keep; `terminate()` stops them.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import threadpoolctl

T = TypeVar("T")
R = TypeVar("R")


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, multiprocessing.cpu_count())


def init_worker() -> None:
    """Set up a worker process: one thread, and Ctrl-C left to the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # One process per core: nested BLAS/OpenMP threads would only fight over the cores.
    # Libraries loaded already are limited now; torch, loaded later, reads the variable.
    threadpoolctl.threadpool_limits(1)
    os.environ["OMP_NUM_THREADS"] = "1"


class WorkerPool:
    """A pool of `jobs` spawned processes (or none for jobs=1) for unordered maps."""

    def __init__(self, jobs: int):
        self.jobs = max(1, jobs)
        self._pool = multiprocessing.get_context("spawn").Pool(self.jobs, initializer=init_worker) if self.jobs > 1 else None

    def map_unordered(self, func: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        if self._pool is None:
            return map(func, items)
        return self._pool.imap_unordered(func, items, chunksize=1)

    def terminate(self) -> None:
        """Stop the workers now, abandoning what they are doing."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.terminate() if exc_type else self.close()
