"""Which kind of search index a library of a given size gets.

Kept apart from the indexes themselves (trackspace/vector_index.py), so that choosing "exact" for
a library of ordinary size does not load FAISS.
"""

from __future__ import annotations

INDEX_KINDS = ("exact", "ivf-fp16", "ivf-sq8")
# Exact search is the default below this many tracks (of 39 columns): a query reads every row, 4.1 ms on one core at
# 200k x 39 (bench/scale_search.py), within the 5 ms budget, and it needs no training, rebuilds or recall checks.
EXACT_LIMIT = 200_000
_EXACT_LIMIT_DIM = 39


def choose_kind(n_tracks: int, *, dim: int = _EXACT_LIMIT_DIM) -> str:
    """The index kind for `n_tracks` rows of `dim` columns: exact while a query reads no more floats than at EXACT_LIMIT x 39."""
    return "exact" if n_tracks * dim < EXACT_LIMIT * _EXACT_LIMIT_DIM else "ivf-fp16"
