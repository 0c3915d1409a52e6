"""Where track ids sit in an array of them: one sort up front, then a binary search per id."""

from __future__ import annotations

import numpy as np


class IdLookup:
    """The positions of ids in `ids` (int64, unique); `is_sorted` skips the sort for ids already in order."""

    def __init__(self, ids: np.ndarray, *, is_sorted: bool = False) -> None:
        self._order = np.arange(len(ids)) if is_sorted else np.argsort(ids, kind="stable")
        self._sorted = ids if is_sorted else ids[self._order]

    def positions(self, wanted: np.ndarray) -> np.ndarray:
        """[len(wanted)] int64: the position of each wanted id in `ids`, -1 where it is absent."""
        wanted = np.asarray(wanted, dtype=np.int64)
        if len(self._sorted) == 0:
            return np.full(len(wanted), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._sorted, wanted), len(self._sorted) - 1)
        return np.where(self._sorted[at] == wanted, self._order[at], -1)
