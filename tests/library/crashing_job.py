"""Job functions whose worker process dies on chosen items, for tests of the pools.

They live in a module of their own so that spawned workers (and Ray actors) import them by
name, without the test modules' imports.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from picscore.library import indexer

CRASH_ON = 3  # the item that kills its worker
CRASH_MARK = "crash"  # files whose name contains this kill their worker


def square_or_exit(item: int) -> int:
    """item², except that item CRASH_ON ends its process at once (as a crash in native code would)."""
    if item == CRASH_ON:
        os._exit(3)
    return item * item


def exit_unless_zero(item: int) -> int:
    """0 for item 0; any other item ends its process at once."""
    if item != 0:
        os._exit(3)
    return 0


def fail_on_negative(item: int) -> int:
    """item, or a Python exception for a negative one."""
    if item < 0:
        raise ValueError(f"negative: {item}")
    return item


def _kill_if_marked(path: str) -> None:
    if CRASH_MARK in os.path.basename(path):
        os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer does


def fingerprint_or_die(stat: Any) -> Any:
    """The indexer's fingerprinting, killing its worker on marked files."""
    _kill_if_marked(stat.path)
    return indexer._fingerprint_job(stat)


def analyse_or_die(job: Any) -> Any:
    """The indexer's analysis, killing its worker on marked files."""
    _kill_if_marked(job.stat.path)
    return indexer._run_job(job)


def exit_at_start(conn: Any) -> None:
    """A worker's life that ends before it is set up (as when its initializer fails)."""
    os._exit(1)
