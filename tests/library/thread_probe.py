"""A job function that reports the threads its item runs on, for tests of the pools.

In a module of its own, which imports neither torch nor the test modules, so that a spawned worker imports it
by name and the item is what loads torch, as the indexer's first file is.
"""

from __future__ import annotations

import threadpoolctl


def threads_in_use(_: int) -> tuple[int, int]:
    """(torch's threads, the most threads any BLAS or OpenMP library loaded here may use) where the item runs."""
    import torch

    return torch.get_num_threads(), max(info["num_threads"] for info in threadpoolctl.threadpool_info())
